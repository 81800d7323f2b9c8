"""Parsers given arbitrary bytes raise nothing but the project's own errors."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector.config import SourceConfig
from detector.errors import DetectorError
from detector.ingest import PARSERS, parse_payload

HEADERS = {
    "feed": b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>',
    "statements_csv": b"id,text,date,url,speaker\n",
    "airforce_csv": b"time_start,time_end,model,target,launched,destroyed\n",
}

payloads = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from(sorted(HEADERS)), st.text(max_size=300)).map(
        lambda kv: HEADERS[kv[0]] + kv[1].encode("utf-8", "surrogatepass")
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(PARSERS)), payload=payloads)
def test_parsers_raise_only_project_errors(kind, payload):
    src = SourceConfig(name="fuzz", kind=kind, path="fuzz", actor="RUS", speaker="RUS")
    try:
        parse_payload(payload, src, "h")
    except DetectorError as exc:
        assert "\n" not in str(exc)
