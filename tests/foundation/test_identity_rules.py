import pytest

from checkin.identity import (
    resident_id_check_digit,
    validate_email,
    validate_id,
    validate_name,
    validate_phone,
    validate_resident_id,
)
from core.errors import ValidationError
from core.masking import mask_id, mask_name, mask_phone


def test_published_example_resident_id_has_check_character_x() -> None:
    # The GB 11643 worked example: 11010519491231002X.
    assert resident_id_check_digit("11010519491231002") == "X"
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "invalid_id_check_digit"),
        ("11010519491231002", "invalid_id_number"),
        ("1101051949123100XX", "invalid_id_number"),
        ("110105194913310029", "invalid_id_number"),  # month 13
        ("110105299912310029", "invalid_id_number"),  # born in the future
    ],
)
def test_bad_resident_ids_are_refused_with_their_reason(number: str, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_resident_id(number)
    assert err.value.code == code


def test_passport_numbers_are_normalised_and_checked() -> None:
    assert validate_id("passport", " e12345678 ") == "E12345678"
    with pytest.raises(ValidationError, match="passport"):
        validate_id("passport", "E-123")


@pytest.mark.parametrize("phone", ["13812345678", "+0123456789", "+86 138", "phone"])
def test_phones_must_be_e164(phone: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_phone(phone)
    assert err.value.code == "invalid_phone"


def test_phone_separators_are_removed() -> None:
    assert validate_phone("+86 138-1234-5678") == "+8613812345678"


@pytest.mark.parametrize(
    "email", ["a@b", "no-at.example.org", "<x>@example.org", "a" * 65 + "@x.org"]
)
def test_bad_emails_are_refused(email: str) -> None:
    with pytest.raises(ValidationError):
        validate_email(email)


@pytest.mark.parametrize("name", ["", "x" * 101, "<script>alert(1)</script>", "R2D2", "Bob_"])
def test_names_without_letters_or_with_markup_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_name(name)
    assert err.value.code == "invalid_name"


@pytest.mark.parametrize(
    "name",
    [
        "张小三",
        "欧阳娜娜",
        "Jean-Luc O'Brien",
        "Zoë Müller",
        "Ахмед",
        "Seo-yeon Kim",
        "阿依古丽·买买提",
    ],
)
def test_real_names_of_many_scripts_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳娜娜", "欧**娜"),
        ("John Smith", "J*** Smith"),
        ("Madonna", "M******"),
    ],
)
def test_names_are_masked_as_the_design_says(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_phone_and_id_masks_keep_only_the_agreed_digits() -> None:
    assert mask_phone("+8613812345678") == "+86138****5678"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id("35010219900101123X") == "3501**********123X"
    assert mask_id("E12345678") == "E1*****78"
