"""A certificate of a file that claims nothing: UNKNOWN and NOTHING CLAIMED, never a vacuous PROVED."""

from __future__ import annotations

import pytest

from certify.errors import CertificateFormatError
from certify.prove.certificate import NOTHING, STATIC_ONLY, Certificate, decode
from certify.report.sentences import badge, box_class
from certify.verdict import Status, Verdict, exit_code


def test_an_empty_certificate_is_nothing_claimed_and_round_trips() -> None:
    cert = Certificate("f.rnn.json", "0" * 64, "f", (), False)
    assert cert.verdict is Verdict.UNKNOWN and cert.status is Status.NOTHING_CLAIMED
    assert exit_code(cert.status) == 20
    doc = cert.to_json()
    assert doc["theorem"] == NOTHING and doc["verdict"] == "UNKNOWN"
    assert decode(doc, "c.json") == cert


def test_a_vacuous_proved_is_refused_on_reading() -> None:
    doc = Certificate("f.rnn.json", "0" * 64, "f", (), False).to_json()
    with pytest.raises(CertificateFormatError, match="combine to UNKNOWN"):
        decode(doc | {"verdict": "PROVED"}, "c.json")
    with pytest.raises(CertificateFormatError, match="theorem is not the one"):
        decode(doc | {"theorem": STATIC_ONLY}, "c.json")


def test_the_report_box_is_neutral() -> None:
    assert badge(Verdict.UNKNOWN, False, 0) == "NOTHING CLAIMED"
    assert box_class(Verdict.UNKNOWN, False, 0) == "NOTHING"
    assert box_class(Verdict.PROVED, True, 3) == "PROVED"
