from simnet.scenario.text import printable, show_bytes


def test_binary_and_controls_are_escaped_text_is_kept():
    # A PPP frame start, a PAP reject fragment and a URC: every byte stays visible.
    data = b"~\xff}#\xc0#\x04\r\n+IPCLOSE: 0,1\r\n\x7f"
    assert show_bytes(data) == "~\\xff}#\\xc0#\\x04\\r\\n+IPCLOSE: 0,1\\r\\n\\x7f"


def test_long_output_is_cut_from_the_front():
    assert show_bytes(b"A" * 10 + b"OK", limit=4) == "…AAOK"


def test_unicode_in_step_text_is_left_alone():
    assert printable("wait … then +++") == "wait … then +++"
