"""Deeds from text: strike reports and their merge into strike events (detector.score.deeds)."""

import pandas as pd

from detector.score.deeds import merge_strike_events, place_keys, strike_reports


def sentence(
    sid,
    when,
    actor="RUS",
    target="energy",
    launched=None,
    places=(),
    weapons=(),
    action="strike",
    source="wire",
    target_actor="UKR",
):
    return dict(
        sentence_id=sid,
        document_id=f"d{sid}",
        source=source,
        url=f"https://x/{sid}",
        published_at=pd.Timestamp(when, tz="UTC"),
        text=f"text {sid}",
        action=action,
        action_score=0.9,
        target=target,
        actor=actor,
        target_actor=target_actor,
        launched=launched,
        destroyed=None,
        weapons=list(weapons),
        places=list(places),
    )


def structured_row(
    eid,
    start,
    end,
    launched,
    actor="RUS",
    target="unspecified",
    place=None,
    weapon="Shahed-136/131",
):
    return dict(
        event_id=eid,
        start=pd.Timestamp(start, tz="UTC"),
        end=pd.Timestamp(end, tz="UTC"),
        actor=actor,
        target_actor="UKR",
        target_type=target,
        launched=float(launched),
        weapon=weapon,
        source="airforce",
        place=place,
    )


def test_one_report_per_strike_sentence_with_provenance():
    df = pd.DataFrame(
        [
            sentence("a", "2025-11-25 07:00", launched=476, places=["Kyiv"]),
            sentence("b", "2025-11-25 08:00", action="none", target=None),
            sentence("c", "2025-11-25 09:00", target=None),
        ]
    )
    r = strike_reports(df)
    assert list(r["sentence_id"]) == ["a", "c"]
    assert r.loc[0, "launched"] == 476 and r.loc[0, "places"] == ["Kyiv"]
    assert r.loc[0, "url"] == "https://x/a" and r.loc[0, "text"] == "text a"
    assert r.loc[1, "target_type"] == "unspecified"
    assert r.loc[0, "date"] == pd.Timestamp("2025-11-25")


def test_details_column_as_the_store_keeps_it():
    df = pd.DataFrame([sentence("a", "2025-11-25 07:00")]).drop(
        columns=["launched", "destroyed", "weapons", "places"]
    )
    df["details"] = [
        '{"launched": 40, "destroyed": 30, "weapons": ["drones"], "places": ["Odesa"]}'
    ]
    r = strike_reports(df)
    assert r.loc[0, "launched"] == 40 and r.loc[0, "destroyed"] == 30
    assert r.loc[0, "weapons"] == ["drones"] and r.loc[0, "places"] == ["Odesa"]


def test_ten_headlines_on_one_text_only_strike_count_once():
    df = pd.DataFrame(
        [
            sentence(
                f"h{i}",
                f"2025-11-25 {6 + i:02d}:00",
                actor="UKR",
                target_actor="RUS",
                launched=100 if i == 3 else None,
            )
            for i in range(10)
        ]
    )
    events, links = merge_strike_events(strike_reports(df), None)
    assert len(events) == 1
    e = events.iloc[0]
    assert e["origin"] == "text" and e["n_reports"] == 10 and e["launched"] == 100
    assert e["target_type"] == "energy" and e["actor"] == "UKR"
    assert sorted(links["sentence_id"]) == sorted(f"h{i}" for i in range(10))
    # Same ids on a rerun (content hashes).
    assert (
        merge_strike_events(strike_reports(df), None)[0]["event_id"].tolist()
        == events["event_id"].tolist()
    )


def test_reports_attach_to_the_nights_structured_rows_and_give_them_their_target():
    # Two nights of Air Force rows (Kyiv evening to morning, in UTC).
    sk = pd.DataFrame(
        [
            structured_row("n1a", "2025-11-24 16:00", "2025-11-25 06:00", 460),
            structured_row("n1b", "2025-11-24 16:00", "2025-11-25 06:00", 22, weapon="Kh-101"),
            structured_row("n2", "2025-11-25 16:00", "2025-11-26 06:00", 90),
        ]
    )
    df = pd.DataFrame(
        [
            sentence("m1", "2025-11-25 07:00", launched=482, source="mod"),
            sentence("m2", "2025-11-25 09:00", target="unspecified", source="wire"),
            sentence("m3", "2025-11-25 10:00", target="civilian", source="mfa"),
        ]
    )
    events, links = merge_strike_events(strike_reports(df), sk)
    ev = events.set_index("event_id")
    assert len(events) == 3  # the structured rows, no text-only event: the reports are theirs
    assert ev.loc["n1a", "target_type"] == "energy" and ev.loc["n1b", "target_type"] == "energy"
    assert ev.loc["n1a", "launched"] == 460  # structured rows keep their counts
    assert ev.loc["n1a", "origin"] == "both" and ev.loc["n1a", "n_reports"] == 3
    assert ev.loc["n2", "target_type"] == "unspecified" and ev.loc["n2", "origin"] == "structured"
    assert set(links[links["event_id"] == "n1a"]["sentence_id"]) == {"m1", "m2", "m3"}
    assert set(links["reason"]) == {"attack ended that day"}


def test_a_late_report_attaches_to_the_previous_night_and_a_typed_row_keeps_its_type():
    sk = pd.DataFrame(
        [structured_row("n1", "2025-11-24 16:00", "2025-11-25 06:00", 100, target="military")]
    )
    df = pd.DataFrame([sentence("late", "2025-11-26 12:00")])
    events, links = merge_strike_events(strike_reports(df), sk)
    assert len(events) == 1 and events.loc[0, "target_type"] == "military"
    assert links.loc[0, "reason"] == "reported the day after the attack"


def test_disjoint_places_and_other_actors_split():
    sk = pd.DataFrame(
        [structured_row("k", "2025-11-25 08:00", "2025-11-25 09:00", 3, place="Kharkiv oblast")]
    )
    df = pd.DataFrame(
        [
            sentence("kh", "2025-11-25 12:00", places=["Kharkiv"]),  # same place: attaches
            sentence("od", "2025-11-25 12:00", places=["Odesa"], target="civilian"),  # elsewhere
            sentence("od2", "2025-11-25 13:00", places=["Odesa region"], target="unspecified"),
            sentence(
                "ua", "2025-11-25 12:00", actor="UKR", target_actor="RUS", places=["Belgorod"]
            ),
            sentence("none", "2025-11-25 12:00", actor=None),
        ]
    )  # no striker: no deed
    events, links = merge_strike_events(strike_reports(df), sk)
    ev = events.set_index("event_id")
    assert ev.loc["k", "sentence_ids"] == ["kh"] and ev.loc["k", "target_type"] == "energy"
    text = events[events["origin"] == "text"]
    assert sorted(map(sorted, text["sentence_ids"])) == [["od", "od2"], ["ua"]]
    assert "none" not in set(links["sentence_id"])
    odesa = text[text["actor"] == "RUS"].iloc[0]
    assert odesa["target_type"] == "civilian" and odesa["place"] == "Odesa, Odesa region"


def test_reports_of_different_days_stay_apart():
    df = pd.DataFrame(
        [
            sentence("d1", "2025-11-25 10:00", actor="UKR", target_actor="RUS"),
            sentence("d2", "2025-11-26 10:00", actor="UKR", target_actor="RUS"),
        ]
    )
    events, _ = merge_strike_events(strike_reports(df), None)
    assert len(events) == 2


def test_place_keys():
    assert place_keys(["Kharkiv region", "Ukraine"]) == {"kharkiv"}
    assert place_keys("Kyiv oblast and Odesa oblast") == {"kyiv", "odesa"}
    assert place_keys(None) == frozenset()


def test_a_tally_over_a_year_is_not_one_strikes_count():
    df = pd.DataFrame(
        [
            sentence(
                "t1",
                "2026-01-30 10:00",
                actor="UKR",
                target_actor="RUS",
                target="civilian",
                launched=130000,
            ),
            sentence(
                "t2",
                "2026-01-30 11:00",
                actor="UKR",
                target_actor="RUS",
                target="civilian",
                launched=40,
            ),
        ]
    )
    events, _ = merge_strike_events(strike_reports(df), None)
    assert len(events) == 1 and events.loc[0, "launched"] == 40


def test_an_unsure_target_is_unspecified():
    df = pd.DataFrame([sentence("a", "2025-11-25 07:00"), sentence("b", "2025-11-25 08:00")])
    df["target_score"] = [0.95, 0.5]
    r = strike_reports(df)
    assert list(r["target_type"]) == ["energy", "unspecified"]
    assert list(r["target"]) == ["energy", "energy"]
