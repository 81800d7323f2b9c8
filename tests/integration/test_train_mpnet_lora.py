"""models/train_mpnet_lora.py end to end on a tiny corpus: LoRA adapters on every attention and
feed-forward layer of the installed mpnet are trained, saved beside the stance head, and merged
into mpnet when the cascade loads (the real mpnet; a few batches, fp32)."""

import argparse
import json

import numpy as np
import pytest

from detector.nlp.classifier import STANCES, load_classifier
from detector.nlp.mpnet import MpnetEncoder
from models.train_head import is_dev
from models.train_mpnet_lora import train

pytestmark = [pytest.mark.slow, pytest.mark.integration]

TEXTS = {  # written for this test
    "willing": [
        "The government is ready to resume peace talks at any time.",
        "We are prepared to negotiate a ceasefire without preconditions.",
        "Our delegation will return to the negotiating table next week.",
        "The minister said the country remains open to a peaceful settlement.",
    ],
    "unwilling": [
        "There will be no talks until the occupying troops withdraw.",
        "The president rejected any negotiations with the other side.",
        "Talks are pointless while the shelling continues, he said.",
        "We will not sign an agreement that freezes the conflict.",
    ],
    "none": [
        "Drones struck a power plant overnight.",
        "The ministry published its annual budget report.",
        "Heavy rain is expected across the region on Friday.",
        "The two leaders discussed trade and tourism.",
    ],
}


def _families() -> tuple[str, str]:
    """A family name in the dev bucket and one in the train bucket."""
    names = [f"fam{i}" for i in range(200)]
    return next(n for n in names if is_dev(n)), next(n for n in names if not is_dev(n))


def test_trained_adapters_are_saved_and_merged_when_the_cascade_loads(tmp_path):
    dev, trn = _families()
    data = tmp_path / "data"
    data.mkdir()
    rows = []
    for stance, texts in TEXTS.items():
        for i, text in enumerate(texts):
            rows.append({"text": text, "stance": stance, "family": dev if i == 0 else trn})
    (data / "sentences.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = argparse.Namespace(
        version="tiny-mpnet-lora-v0",
        base="minilm-lora-v5",
        data=str(data),
        out=str(tmp_path / "artifacts"),
        epochs=1,
        rank=2,
        alpha=4.0,
        lr=5e-3,
        head_lr=5e-2,
        batch_size=4,
        max_length=16,
        threads=2,
        fp32=True,
        open_labels=str(tmp_path / "absent.jsonl"),
        open_dir=str(tmp_path / "absent"),
        real_dir=str(tmp_path / "absent"),
        open_weight=1.0,
    )
    folder = train(args)

    meta = json.loads((folder / "model.json").read_text())
    assert meta["kind"] == "cascade" and meta["base"] == "minilm-lora-v5"
    adapter = meta["stance_head"]["adapter"]
    assert adapter["file"] == "lora.npz" and adapter["layers"] == 72 and adapter["scale"] == 2.0
    assert meta["training_data"]["n_corpus_train"] == 9 and meta["training_data"]["n_open"] == 0
    lora = np.load(folder / "lora.npz")
    assert len(lora.files) == 2 * 72
    # LoRA's B starts at zero: after training every B has moved.
    assert all(np.abs(lora[k]).max() > 0 for k in lora.files if k.endswith(".B"))

    cascade = load_classifier("tiny-mpnet-lora-v0", models_dir=tmp_path / "artifacts", threads=2)
    sentence = "We are prepared to negotiate a ceasefire without preconditions."
    out = cascade.predict([sentence])[0]
    assert out.stance in STANCES and set(out.stance_probs) == set(STANCES)
    adapted = cascade.stage2.encode([sentence])
    plain = MpnetEncoder(max_length=128, threads=2).encode([sentence])
    assert adapted.shape == plain.shape
    assert not np.allclose(adapted, plain, atol=1e-4)  # the merged adapter changes mpnet
