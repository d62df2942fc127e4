"""`manage.py fit_text_model`: the tf-idf model fitted on saved Hugging Face responses, written where asked."""

from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from bench.corpus import CORPUS
from papers import representation


def fit(*args) -> list[str]:
    out = StringIO()
    call_command("fit_text_model", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_fits_a_model_on_the_papers_before_a_day_and_says_so_last(settings, tmp_path):
    target = tmp_path / "model.npz"
    lines = fit(str(CORPUS), "--before", "2024-10-01", "--output", str(target))
    assert lines[0].startswith("Fitting tf-idf + SVD on ")
    assert lines[-1].startswith("papers=") and f"file={target}" in lines[-1]
    settings.PAPERS_TFIDF_PATH = target
    assert f"model={representation.model_name()}" in lines[-1]
    assert representation.model_name() != ""
    rows = representation.represent(["Gaussian splatting for 3D scenes", "Gaussian splatting of dynamic scenes"])
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert rows[0] @ rows[1] > 0.5


def test_it_refuses_too_few_papers_and_writes_nothing(tmp_path):
    target = tmp_path / "model.npz"
    with pytest.raises(CommandError, match=r"^only \d+ papers: too few to fit"):
        fit(str(CORPUS), "--before", "2024-06-01", "--output", str(target))
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--before", "June"], "^--before must be a day as YYYY-MM-DD, got 'June'$"),
        (["--output", "x.npz"], "^no .json files in "),
    ],
)
def test_it_refuses_bad_input_with_a_one_line_reason(tmp_path, args, reason):
    folder = str(CORPUS) if "--before" in args else str(tmp_path)
    with pytest.raises(CommandError, match=reason):
        fit(folder, *args)
