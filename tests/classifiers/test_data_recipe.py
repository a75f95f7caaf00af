"""Which data trains and which measures (recipe), and how third-party corpora come in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers.corpora import Corpus, CorpusError, import_corpus, may_train, preset_corpus
from classifiers.data import recipe
from classifiers.labelled import read_labelled
from lurewatch.config import PACKAGE_ROOT
from lurewatch.record import Label

SHARED_REAL = PACKAGE_ROOT.parent / "shared" / "data" / "real"


def test_development_split_shares_no_group_with_training() -> None:
    train, dev = recipe.training_sets()
    assert not {i.group for i in train} & {i.group for i in dev}
    assert not {i.id for i in train} & {i.id for i in dev}


def test_development_split_holds_every_label_and_every_written_language() -> None:
    train, dev = recipe.training_sets()
    assert {i.label for i in dev} == set(Label)
    written_train = {i.lang for i in train if i.writer}
    assert written_train == {i.lang for i in dev if i.writer}


def test_real_corpora_are_capped_per_corpus_and_label() -> None:
    train, _ = recipe.training_sets()
    counts: dict[tuple[str, Label], int] = {}
    for item in train:
        if not item.writer:
            key = (item.id.split("-")[0], item.label)
            counts[key] = counts.get(key, 0) + 1
    assert max(counts.values()) <= recipe.REAL_TRAIN_CAP
    assert max(n for (_, label), n in counts.items()
               if label is Label.not_job_related) <= recipe.REAL_EVERYDAY_CAP
    # the rare fraud ads of EMSCAD are all kept, not capped away
    assert counts[("emscad_difraud", Label.deceptive_recruitment)] > 40


def test_committed_real_corpora_are_permissive_and_say_where_they_come_from() -> None:
    items = recipe.real_items()
    assert all(may_train(i.licence) and i.source for i in items)


def test_recipe_refuses_a_folder_holding_gpl_data(tmp_path: Path) -> None:
    line = {"id": "x-1", "group": "x-1", "lang": "zh", "text": "招聘", "label": "legitimate",
            "source": "somewhere", "licence": "GPL-3.0-only"}
    (tmp_path / "x.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="GPL-3.0-only"):
        recipe.real_items(tmp_path)


def _orfd_sample(tmp_path: Path) -> Path:
    rows = (SHARED_REAL / "orfd_zh_visible.jsonl").read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "orfd_head.jsonl"
    sample.write_text("\n".join(rows[:20]) + "\n", encoding="utf-8")
    return sample


def test_gpl_corpus_imports_outside_the_repository_only(tmp_path: Path) -> None:
    corpus, _ = preset_corpus("orfd_zh")
    source = _orfd_sample(tmp_path)
    with pytest.raises(CorpusError, match="not a permissive licence"):
        import_corpus(corpus, source, PACKAGE_ROOT / "data" / "orfd.jsonl")
    assert not (PACKAGE_ROOT / "data" / "orfd.jsonl").exists()
    report = import_corpus(corpus, source, tmp_path / "orfd.jsonl")
    items = list(read_labelled(tmp_path / "orfd.jsonl"))
    assert report.written == len(items) == 20
    assert {i.label for i in items} <= {Label.legitimate, Label.deceptive_recruitment}
    assert all(i.licence == "GPL-3.0-only" and i.id.startswith("orfd_zh-") for i in items)


def test_import_maps_labels_and_counts_what_it_skips(tmp_path: Path) -> None:
    source = tmp_path / "corpus.csv"
    source.write_text("body,flag\n"
                      "Kerja kilang di Johor gaji RM1800,0\n"
                      "Hantar pasport dulu baru dapat kerja,1\n"
                      ",1\n"
                      "Something else,maybe\n", encoding="utf-8")
    corpus = Corpus(name="tiny", licence="CC0-1.0", provenance="test", text_field="body",
                    title_field=None, id_field=None, lang_field=None, lang="ms",
                    label_field="flag",
                    label_map={"0": Label.legitimate, "1": Label.deceptive_recruitment})
    report = import_corpus(corpus, source, tmp_path / "out.jsonl")
    items = list(read_labelled(tmp_path / "out.jsonl"))
    assert [i.label for i in items] == [Label.legitimate, Label.deceptive_recruitment]
    assert report.skipped == {"no_text": 1, "label_not_mapped": 1}
    assert all(i.lang == "ms" and i.source == "test" for i in items)
