"""`manage.py represent_papers` and the admin action: vectors for rows stored before they existed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from papers.models import Paper
from papers.representation import model_name, vectors_for
from tests.factories import make_paper
from tests.papers.test_admin import said

pytestmark = pytest.mark.django_db


def represent(*args) -> list[str]:
    out = StringIO()
    call_command("represent_papers", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_represents_the_papers_without_a_vector_and_prints_the_summary_last():
    papers = [make_paper(title=f"Quantized attention kernels, part {n}") for n in range(5)]
    Paper.objects.filter(pk=papers[0].pk).update(vector_model="some-older-model", vector=b"\0" * 16)
    lines = represent("--batch", "2")
    assert lines[0] == f"Representing papers without a current vector with {model_name()}..."
    assert lines[1:-1] == ["  2/5", "  4/5", "  5/5"]
    assert lines[-1] == f"represented=5 up_to_date=0 model={model_name()}"
    assert set(vectors_for(p.pk for p in papers)) == {p.pk for p in papers}
    assert represent()[-1] == f"represented=0 up_to_date=5 model={model_name()}"
    assert represent("--all")[-1] == f"represented=5 up_to_date=0 model={model_name()}"


def test_it_refuses_a_bad_batch_size_with_a_one_line_reason():
    make_paper()
    with pytest.raises(CommandError, match="^--batch must be a whole number of at least 1, got 'ten'$"):
        represent("--batch", "ten")
    assert Paper.objects.filter(vector__isnull=True).count() == 1


def test_the_admin_action_represents_the_selected_papers_and_says_how_many(admin_client):
    chosen, other = make_paper(), make_paper()
    response = admin_client.post(
        reverse("admin:papers_paper_changelist"),
        {"action": "represent_selected", "_selected_action": [chosen.pk]},
        follow=True,
    )
    assert "Computed the text vectors of 1 paper." in said(response)
    assert set(vectors_for([chosen.pk, other.pk])) == {chosen.pk}
