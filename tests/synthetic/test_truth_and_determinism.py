"""Seeds reproduce bytes; truth files plant what they say; the CLI and full scale work."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.synthetic import GenerationReport, generate, load_truth
from orchestration.synthetic.cli import main
from orchestration.synthetic.generator import FILES
from orchestration.synthetic.truth import paper_truth, recovery_truth


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_truth(path: Path, edit) -> Path:  # noqa: ANN001 - a small callback
    doc = recovery_truth().to_json_dict()
    edit(doc)
    path.write_text(json.dumps(doc))
    return path


def _responses(out: Path) -> pd.DataFrame:
    """One row per rated English answer with its own and its opening prompt's attributes."""
    utts = pd.read_json(out / "utterances.jsonl", lines=True)
    convs = pd.read_json(out / "conversations.jsonl", lines=True)[
        ["conversation_id", "opening_prompt"]
    ]
    scores = pd.read_csv(out / "perspective_scores.csv")
    scores["reasoning_nuance"] = scores["REASONING_EXPERIMENTAL"] * scores["NUANCE_EXPERIMENTAL"]
    cols = {
        "TOXICITY": "toxicity",
        "COMPASSION_EXPERIMENTAL": "compassion",
        "PERSONAL_STORY_EXPERIMENTAL": "personal_story",
        "reasoning_nuance": "reasoning_nuance",
    }
    scores = scores.rename(columns=cols)[["text_hash", *cols.values()]]
    df = utts.merge(convs, on="conversation_id")
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    df["response_hash"] = df["model_response"].map(sha)
    df["opening_hash"] = df["opening_prompt"].map(sha)
    df = df.merge(scores, left_on="response_hash", right_on="text_hash")
    df = df.merge(scores, left_on="opening_hash", right_on="text_hash", suffixes=("", "_open"))
    return df.dropna()


def _ols(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(y)), x])
    return np.linalg.lstsq(design, y, rcond=None)[0][1:]


def test_same_seed_same_bytes_other_seed_differs(small_prism_dir: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", scale="small", seed=0)
    other = generate(tmp_path / "other", scale="small", seed=1)
    for name in FILES:
        assert _digest(small_prism_dir / name) == _digest(again.paths[name]), name
    assert _digest(small_prism_dir / "utterances.jsonl") != _digest(other.paths["utterances.jsonl"])
    assert other.dataset_revision == "synthetic:small:seed=1"


def test_report(small_prism_dir: Path, tmp_path: Path) -> None:
    report = generate(tmp_path / "r", scale="small", seed=0)
    assert isinstance(report, GenerationReport)
    assert set(report.paths) == set(FILES) and all(p.exists() for p in report.paths.values())
    manifest = json.loads(report.paths["MANIFEST.json"].read_text())
    assert manifest["counts"] == report.counts
    lines = report.paths["utterances.jsonl"].read_text().count("\n")
    assert report.counts["utterances"] == lines


def test_null_instead_of_nan(tmp_path: Path) -> None:
    report = generate(tmp_path / "n", scale="small", seed=0, nan_token=False)
    raw = report.paths["metadata.jsonl"].read_text()
    assert "NaN" not in raw and '"pii_manual_flag": null' in raw


def test_beta_changes_scores_only(tmp_path: Path) -> None:
    base = generate(tmp_path / "base", scale="small", seed=3, truth="recovery")
    truth = _write_truth(
        tmp_path / "t.json", lambda d: d["score"]["beta"].update(reasoning_nuance=-4.0)
    )
    moved = generate(tmp_path / "moved", scale="small", seed=3, truth=truth)
    a = pd.read_json(base.paths["utterances.jsonl"], lines=True)
    b = pd.read_json(moved.paths["utterances.jsonl"], lines=True)
    assert (a["score"] != b["score"]).mean() > 0.3
    # Attributes have their own random stream: openers keep theirs (later turns follow the
    # turn-0 winner, which the scores decide, so their model effects may move).
    rows_a = pd.read_csv(base.paths["perspective_scores.csv"]).set_index("text_hash")
    rows_b = pd.read_csv(moved.paths["perspective_scores.csv"]).set_index("text_hash")
    turn0 = a.loc[(a["turn"] == 0) & (a["model_response"] != "EMPTY STRING"), "model_response"]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in turn0] + [
        hashlib.sha256(t.encode()).hexdigest() for t in a["user_prompt"]
    ]
    pd.testing.assert_frame_equal(rows_a.loc[hashes], rows_b.loc[hashes])
    assert (
        json.loads(moved.paths["truth.json"].read_text())["score"]["beta"]["reasoning_nuance"]
        == -4.0
    )


def test_pinned_model_effects_replace_the_draw(tmp_path: Path) -> None:
    """Twins of two seeds with the LLM effects of a third pinned share those effects."""
    first = generate(tmp_path / "first", scale="small", seed=3, truth="recovery")
    drawn = json.loads(first.paths["truth.json"].read_text())["random_effects"]["model_score"]
    truth = _write_truth(tmp_path / "t.json", lambda d: d["score"].update(model_effects=drawn))
    for seed in (4, 5):
        twin = generate(tmp_path / f"seed{seed}", scale="small", seed=seed, truth=truth)
        document = json.loads(twin.paths["truth.json"].read_text())
        assert document["random_effects"]["model_score"] == drawn
        assert document["score"]["model_effects"] == drawn
    other = generate(tmp_path / "other", scale="small", seed=4, truth="recovery")
    assert (
        json.loads(other.paths["truth.json"].read_text())["random_effects"]["model_score"] != drawn
    )
    # Every model must be pinned.
    partial = {name: value for name, value in list(drawn.items())[:-1]}
    incomplete = _write_truth(
        tmp_path / "p.json", lambda d: d["score"].update(model_effects=partial)
    )
    with pytest.raises(ValueError, match="model_effects lacks"):
        generate(tmp_path / "partial", scale="small", seed=4, truth=incomplete)


def test_planted_beta_is_recovered(tmp_path: Path) -> None:
    truth = _write_truth(
        tmp_path / "t.json",
        lambda d: d["score"]["beta"].update(reasoning_nuance=3.0, personal_story=-3.0),
    )
    df = _responses(generate(tmp_path / "p", scale="small", seed=5, truth=truth).out_dir)
    slope = _ols(
        np.log(df["score"].to_numpy()), df[["reasoning_nuance", "personal_story"]].to_numpy()
    )
    assert slope[0] == pytest.approx(3.0, abs=0.8)
    assert slope[1] == pytest.approx(-3.0, abs=0.8)


def test_B_changes_response_attributes_and_is_recovered(tmp_path: Path) -> None:
    def edit(doc: dict) -> None:
        doc["mirroring"]["B"]["compassion"]["compassion"] = 0.2
        doc["mirroring"]["B"]["toxicity"]["toxicity"] = 0.6

    base = generate(tmp_path / "base", scale="small", seed=4, truth="recovery")
    moved = generate(
        tmp_path / "moved", scale="small", seed=4, truth=_write_truth(tmp_path / "t.json", edit)
    )
    assert _digest(base.paths["perspective_scores.csv"]) != _digest(
        moved.paths["perspective_scores.csv"]
    )
    for report, planted in (
        (base, {"compassion": 1.084, "toxicity": 0.197}),
        (moved, {"compassion": 0.2, "toxicity": 0.6}),
    ):
        df = _responses(report.out_dir)
        for attr, value in planted.items():
            others = [
                c
                for c in (
                    "toxicity_open",
                    "compassion_open",
                    "personal_story_open",
                    "reasoning_nuance_open",
                )
                if c != f"{attr}_open"
            ]
            slope = _ols(df[attr].to_numpy(), df[[f"{attr}_open", *others]].to_numpy())[0]
            assert slope == pytest.approx(value, abs=0.12), (attr, value)


def test_presets_and_bad_truth(tmp_path: Path) -> None:
    assert load_truth(None).preset == "paper" == paper_truth().preset
    assert load_truth("recovery").realism.p_default_slider_50 == 0.0
    broken = recovery_truth().to_json_dict()
    del broken["score"]["beta"]["respect"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(ValueError, match=r"score\.beta lacks respect"):
        load_truth(path)
    with pytest.raises(FileNotFoundError, match="nope.json"):
        load_truth(tmp_path / "nope.json")


def test_recovery_preset_rarely_clips(tmp_path: Path) -> None:
    report = generate(tmp_path / "rec", scale="small", seed=0, truth="recovery")
    truth = json.loads(report.paths["truth.json"].read_text())
    assert truth["preset"] == "recovery"
    assert (
        truth["clipping"]["score_rate_above_100"] + truth["clipping"]["score_rate_below_1"] < 0.01
    )
    scores = pd.read_json(report.paths["utterances.jsonl"], lines=True)["score"]
    assert (scores == 50).mean() < 0.03


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--out",
                str(tmp_path / "cli"),
                "--scale",
                "small",
                "--seed",
                "2",
                "--null-instead-of-nan",
            ]
        )
        == 0
    )
    assert "synthetic:small:seed=2" in capsys.readouterr().out
    assert "NaN" not in (tmp_path / "cli" / "metadata.jsonl").read_text()
    assert (
        main(
            [
                "--out",
                str(tmp_path / "x"),
                "--scale",
                "small",
                "--truth",
                str(tmp_path / "missing.json"),
            ]
        )
        == 2
    )
    assert "truth file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_full_scale_counts(tmp_path: Path) -> None:
    report = generate(tmp_path / "full", scale="full", seed=0)
    assert report.counts["survey"] == 1_500
    assert report.counts["conversations"] == 8_011
    assert report.counts["interactions"] == 27_172
    assert report.counts["utterances"] == 68_371
    assert report.counts["metadata"] == 106_554
    utts = pd.read_json(report.paths["utterances.jsonl"], lines=True)
    assert utts["interaction_id"].nunique() == 27_172
    assert utts["user_id"].nunique() == 1_396
    assert (utts["model_response"] == "EMPTY STRING").sum() == 147
    assert 55 < utts["score"].mean() < 75
