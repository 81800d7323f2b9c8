from collections import Counter
from datetime import UTC, date, datetime

import pytest

from detector.config import SourceConfig
from detector.errors import ParseError
from detector.ingest.gdelt import FIELDS_V1, FIELDS_V2, parse_gdelt_events
from detector.ingest.ucdp import parse_ucdp_ged_csv, ucdp_date
from detector.records import StructuredStatement


def src(kind, **kw):
    return SourceConfig(name="s", kind=kind, path=kw.pop("path", None), **kw)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- UCDP GED ------------------------------------------------------------------------------

UCDP_HEADER = (
    "id,type_of_violence,side_a,side_b,country,where_coordinates,adm_1,"
    "source_headline,date_start,date_end\n"
)


def ucdp(*rows):
    return (UCDP_HEADER + "".join(r + "\n" for r in rows)).encode()


def test_ucdp_maps_sides_dates_and_violence_type():
    data = ucdp(
        "101,1,Government of Russia (Soviet Union),Government of Ukraine,Ukraine,"
        'Town A,Region A,"Shelling reported, two dead",2022-03-01,2022-03-02',
        "102,3,Government of Russia (Soviet Union),Civilians,Ukraine,,Region B,,"
        "3/5/2022 12:00:00 AM,03/06/2022 00:00",
        "103,1,Some Armed Group,Other Group,Nowhere Land,,,,2021-01-01,",
    )
    e1, e2, e3 = parse_ucdp_ged_csv(data, src("ucdp_ged_csv", actor="AAA", target_actor="BBB"), "h")
    assert (e1.external_id, e1.actor, e1.target_actor) == ("101", "RUS", "UKR")
    assert e1.start == utc(2022, 3, 1) and e1.end == utc(2022, 3, 2)
    assert e1.target_type == "unspecified" and e1.place == "Town A"
    assert e1.description == "Shelling reported, two dead" and e1.launched is None
    # one-sided violence is civilian; target falls back to the country; US dates are month-first
    assert e2.target_type == "civilian" and e2.target_actor == "UKR" and e2.place == "Region B"
    assert e2.start == utc(2022, 3, 5) and e2.end == utc(2022, 3, 6) and e2.description is None
    # unknown names fall back to the source's defaults
    assert (e3.actor, e3.target_actor, e3.end, e3.place) == ("AAA", "BBB", None, None)


def test_ucdp_filter_by_type_of_violence():
    data = ucdp("1,1,A,B,Ukraine,,,,2022-01-01,2022-01-01", "2,3,A,B,Ukraine,,,,2022-01-01,")
    (e,) = parse_ucdp_ged_csv(data, src("ucdp_ged_csv", options={"types_of_violence": [3]}), "h")
    assert e.external_id == "2"


@pytest.mark.parametrize(
    "row, message",
    [
        ("1,1,A,B,Ukraine,,,,not a date,", "line 2: date_start"),
        ("1,1,A,B,Ukraine,,,,2022-01-01,13/45/2022", "line 2: date_end"),
        (",1,A,B,Ukraine,,,,2022-01-01,", "line 2: id is empty"),
    ],
)
def test_ucdp_bad_rows_are_parse_errors(row, message):
    with pytest.raises(ParseError, match=message):
        parse_ucdp_ged_csv(ucdp(row), src("ucdp_ged_csv"), "h")


def test_ucdp_duplicate_id_and_missing_columns():
    with pytest.raises(ParseError, match="line 3: id 7 appears twice"):
        parse_ucdp_ged_csv(
            ucdp("7,1,A,B,U,,,,2022-01-01,", "7,1,A,B,U,,,,2022-01-02,"), src("ucdp_ged_csv"), "h"
        )
    with pytest.raises(ParseError, match="lacks column"):
        parse_ucdp_ged_csv(b"id,date_start\n1,2022-01-01\n", src("ucdp_ged_csv"), "h")


def test_ucdp_date_formats():
    assert ucdp_date("2014-01-22") == utc(2014, 1, 22)
    assert ucdp_date("1/2/2015 12:00:00 AM") == utc(2015, 1, 2)
    assert ucdp_date("12/31/2015 00:00") == utc(2015, 12, 31)
    assert ucdp_date("") is None and ucdp_date("garbage") is None


def test_ucdp_real_file(real_dir):
    path = real_dir / "ucdp-ged-ukraine" / "UCDP-GED-Ukraine_2014-2022.csv"
    events = parse_ucdp_ged_csv(path.read_bytes(), src("ucdp_ged_csv", path=path), "h")
    assert len(events) == 3077
    assert len({e.external_id for e in events}) == 3077
    assert min(e.start for e in events) == utc(2014, 1, 22)
    assert max(e.start for e in events) == utc(2022, 2, 23)
    # side_a is always the Government of Ukraine; side_b groups (DPR, LPR, ...) are not in the
    # gazetteer, so the target is the country, Ukraine, except for one event in Russia.
    assert Counter((e.actor, e.target_actor) for e in events) == {
        ("UKR", "UKR"): 3076,
        ("UKR", "RUS"): 1,
    }
    assert all(e.target_type == "unspecified" for e in events)  # all type_of_violence 1
    assert all(e.place and e.description for e in events)


# --- GDELT ---------------------------------------------------------------------------------


def gdelt_row(fields=FIELDS_V2, **values):
    row = dict.fromkeys(fields, "")
    row.update(GLOBALEVENTID="1", SQLDATE="20220301", EventCode="190", EventRootCode="19")
    row.update(values)
    return "\t".join(row[f] for f in fields)


def raw(*lines):
    return ("\n".join(lines) + "\n").encode()


def test_gdelt_raw_v2_strikes_and_willingness():
    data = raw(
        gdelt_row(
            GLOBALEVENTID="10",
            Actor1CountryCode="RUS",
            Actor2CountryCode="UKR",
            EventCode="195",
            EventRootCode="19",
            ActionGeo_FullName="Kharkiv, Ukraine",
            SOURCEURL="https://example.org/a",
        ),
        gdelt_row(
            GLOBALEVENTID="11",
            Actor1CountryCode="RUS",
            Actor2Type1Code="CVL",
            EventCode="180",
            EventRootCode="18",
            SQLDATE="20220302",
        ),
        gdelt_row(
            GLOBALEVENTID="12",
            Actor1CountryCode="RUS",
            Actor2CountryCode="UKR",
            EventCode="036",
            EventRootCode="03",
            GoldsteinScale="4.0",
            SOURCEURL="https://example.org/b",
        ),
        gdelt_row(GLOBALEVENTID="13", EventCode="046", EventRootCode="04", GoldsteinScale="7"),
        gdelt_row(GLOBALEVENTID="14", EventCode="042", EventRootCode="04"),  # a visit: dropped
        gdelt_row(GLOBALEVENTID="15", EventCode="141", EventRootCode="14"),  # a protest: dropped
    )
    r = parse_gdelt_events(data, src("gdelt_events", actor="AAA", target_actor="BBB"), "h")
    e1, e2 = r.events
    assert (e1.external_id, e1.actor, e1.target_actor, e1.target_type) == (
        "10",
        "RUS",
        "UKR",
        "unspecified",
    )
    assert e1.start == utc(2022, 3, 1) and e1.end is None and e1.launched is None
    assert e1.place == "Kharkiv, Ukraine" and e1.description == "https://example.org/a"
    assert e2.target_type == "civilian" and e2.target_actor == "BBB" and e2.start == utc(2022, 3, 2)
    w1, w2 = r.willingness
    assert w1 == StructuredStatement(
        source="s",
        external_id="12",
        date=date(2022, 3, 1),
        actor="RUS",
        counterpart="UKR",
        stance="willing",
        event_code="036",
        goldstein=4.0,
        url="https://example.org/b",
        location=w1.location,
        raw_hash="h",
    )
    assert (w2.event_code, w2.actor, w2.counterpart, w2.goldstein) == ("046", "AAA", "BBB", 7.0)


def test_gdelt_raw_v1_and_options():
    data = raw(
        gdelt_row(
            FIELDS_V1,
            GLOBALEVENTID="5",
            Actor1CountryCode="EUR",
            EventCode="0357",
            EventRootCode="03",
        ),
        gdelt_row(FIELDS_V1, GLOBALEVENTID="6", EventCode="145", EventRootCode="14"),
    )
    r = parse_gdelt_events(
        data,
        src("gdelt_events", options={"country_codes": {"EUR": "EU"}, "strike_root_codes": [14]}),
        "h",
    )
    assert [w.actor for w in r.willingness] == ["EU"]
    assert [e.external_id for e in r.events] == ["6"]


def test_gdelt_wrong_field_count_names_line():
    data = raw(gdelt_row(), "1\t20220301\tonly three")
    with pytest.raises(ParseError, match=r"line 2: 3 tab-separated fields, expected 61"):
        parse_gdelt_events(data, src("gdelt_events"), "h")


@pytest.mark.parametrize(
    "values, message",
    [
        ({"SQLDATE": "2022-03-01"}, "SQLDATE '2022-03-01' is not YYYYMMDD"),
        ({"GLOBALEVENTID": ""}, "GLOBALEVENTID is empty"),
    ],
)
def test_gdelt_bad_values(values, message):
    with pytest.raises(ParseError, match=message):
        parse_gdelt_events(raw(gdelt_row(**values)), src("gdelt_events"), "h")


def test_gdelt_duplicate_id_and_empty_payload():
    with pytest.raises(ParseError, match="line 2: GLOBALEVENTID 1 appears twice"):
        parse_gdelt_events(raw(gdelt_row(), gdelt_row()), src("gdelt_events"), "h")
    with pytest.raises(ParseError, match="is empty"):
        parse_gdelt_events(b"  \n", src("gdelt_events"), "h")


def test_gdelt_csv_with_header_by_name():
    data = (
        b",Global_Event_ID,Day,Actor_1_Country_ABBR,Actor_2_Country_ABBR,Event_Code,"
        b"Goldstein_Scale\n"
        b"0,900,20220301,RUS,UKR,193,-10.0\n"
        b"1,901,20220301,UKR,RUS,046,7.0\n"
        b"2,902,20220301,UKR,RUS,010,0.0\n"
    )
    r = parse_gdelt_events(data, src("gdelt_events"), "h")
    (e,) = r.events
    assert (e.external_id, e.actor, e.target_actor, e.place, e.description) == (
        "900",
        "RUS",
        "UKR",
        None,
        None,
    )
    (w,) = r.willingness
    assert (w.external_id, w.event_code, w.goldstein, w.url) == ("901", "046", 7.0, None)


def test_gdelt_csv_with_header_by_position_ignores_renamed_columns():
    header = [""] + [f"renamed_{i}" for i in range(61)] + ["Confidence"]
    header[1] = "Global_Event_ID"
    row = dict.fromkeys(FIELDS_V2, "")
    row.update(
        GLOBALEVENTID="77",
        SQLDATE="20201113",
        Actor1CountryCode="AFG",
        Actor2CountryCode="GBR",
        Actor2Type1Code="CVL",
        EventCode="190",
        EventRootCode="19",
        ActionGeo_FullName="Somewhere",
        SOURCEURL="https://x/1",
    )
    line = ["0"] + [row[f] for f in FIELDS_V2] + ["10"]
    data = (",".join(header) + "\n" + ",".join(line) + "\n").encode()
    (e,) = parse_gdelt_events(data, src("gdelt_events"), "h").events
    assert (e.external_id, e.actor, e.target_actor, e.target_type, e.place, e.description) == (
        "77",
        "AFG",
        "GBR",
        "civilian",
        "Somewhere",
        "https://x/1",
    )


def test_gdelt_csv_header_errors():
    with pytest.raises(ParseError, match="lacks column.*EventCode"):
        parse_gdelt_events(b"GLOBALEVENTID,SQLDATE\n1,20220301\n", src("gdelt_events"), "h")
    with pytest.raises(ParseError, match="line 3: 2 fields, expected 3"):
        parse_gdelt_events(
            b"GLOBALEVENTID,SQLDATE,EventCode\n1,20220301,190\n2,20220301\n",
            src("gdelt_events"),
            "h",
        )


def test_gdelt_real_full_rows(real_dir):
    path = real_dir / "gdelt-samples" / "gdelt2_events_20201113.csv"
    r = parse_gdelt_events(path.read_bytes(), src("gdelt_events", path=path), "h")
    assert len(r.events) == 129  # EventRootCode 18/19/20 among 2,824 rows
    assert Counter(w.event_code for w in r.willingness) == {"036": 147, "046": 103, "037": 11}
    assert all(e.description and e.description.startswith("http") for e in r.events)
    assert all(e.start <= utc(2020, 11, 13) for e in r.events)
    assert all(e.actor and e.target_actor for e in r.events)


def test_gdelt_real_country_pairs(real_dir):
    path = real_dir / "gdelt-samples" / "gdelt_country_pair_events_20220301.csv"
    r = parse_gdelt_events(path.read_bytes(), src("gdelt_events", path=path), "h")
    assert len(r.events) == 3135 and len(r.willingness) == 3666
    assert sum((e.actor, e.target_actor) == ("RUS", "UKR") for e in r.events) == 737
    rus_ukr = Counter(
        w.event_code for w in r.willingness if (w.actor, w.counterpart) == ("RUS", "UKR")
    )
    assert rus_ukr == {"046": 196, "036": 47}
