"""bootstrap refuses a weak ADMIN_PASSWORD with the password validators' own words, before changing anything."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("password", "This password is too common."),
        ("12345678901", "This password is entirely numeric."),
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("ops@example.com", "The password is too similar to the"),
    ],
)
def test_it_refuses_a_weak_admin_password_with_the_validators_message(monkeypatch, password, said):
    monkeypatch.setenv("ADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    with pytest.raises(CommandError) as refused:
        call_command("bootstrap", "--no-demo")
    assert str(refused.value).startswith("ADMIN_PASSWORD is refused: ")
    assert said in str(refused.value) and "\\n" not in str(refused.value)
    assert not get_user_model().objects.exists()
