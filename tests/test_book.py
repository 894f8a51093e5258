"""The book-wide report, item list and item look-up, from claims.csv files — and the committed README's
results block is exactly what ``make report`` writes from the committed claims (it cannot drift)."""
import shutil

import pandas as pd
import pytest

from lib import ROOT, book, report


def _claims(figures, chapter, rows, *, edition=2):
    """A chapter's claims.csv as the decision functions write it (edition 2: a reason per row) or as the first
    edition did (no reason, paper, ours, ... columns)."""
    d = figures / chapter
    d.mkdir(parents=True)
    df = pd.DataFrame([{"chapter": chapter, "item": i, "claim": c, "rule": "r", "paper": "90.0", "ours": e, "n": "3/3",
                        "reason": e, "evidence": e, "profile": "small", "verdict": v} for i, c, e, v in rows])
    if edition == 1:
        df = df[["chapter", "item", "claim", "rule", "evidence", "profile", "verdict"]]
    df.to_csv(d / "claims.csv", index=False)
    (d / "provenance.json").write_text('{"device_name": "CPU: test"}')


def test_report_has_a_row_per_claim_and_says_how_to_run_what_did_not(tmp_path):
    figures = tmp_path / "figures"
    _claims(figures, "01_kfac_mlp_mixer", [("table2", "K-FAC | wins", "92.1 vs 90.0", "reproduced"),
                                          ("table2", "B/16-PT", "needs an ImageNet-21k checkpoint", "not run")])
    _claims(figures, "05_swwdirvae", [("table2", "DirVAE beats GVAE", "5.9 vs 27", "not reproduced")])
    _claims(figures, "03_actcoolr", [("fig3", "the erf fits Tiny ImageNet", "Tiny ImageNet is not here", "not run")])
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n{book.START}\nold\n{book.END}\n\n## More\ntext\n")
    out = book.write_report(tmp_path / "REPORT.md", readme, figures)
    text = out.read_text()
    rows = [l for l in text.splitlines() if l.startswith("| 0")]
    assert len(rows) == 4 and "4 at the small profile (decision functions): 1 reproduced, 1 not reproduced, 0 " \
        "inconclusive, 2 not run" in text
    assert "K-FAC \\| wins" in text                                  # a | in a claim does not break the table
    assert "`make reproduce-kfac-table2 PROFILE=paper CHECKPOINT=<file>`" in text and "ImageNet-21k" in text
    assert "not runnable by this book yet: it has no loader for ImageNet" in text   # not a command that fails again
    assert "[Table 2 — kNN on the latent codes (MNIST, K = 50)](book/05_swwdirvae.ipynb)" in text
    r = readme.read_text()
    assert r.startswith("# Title\n\nintro\n") and r.endswith("\n\n## More\ntext\n") and "old" not in r
    assert sum(l.startswith("| 0") for l in r.splitlines()) == 4
    book.write_report(tmp_path / "REPORT.md", readme, figures)
    assert readme.read_text() == r                                   # idempotent
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        book.write_report(tmp_path / "R.md", readme, figures)


def test_first_edition_claims_are_marked_not_redecided(tmp_path):
    figures = tmp_path / "figures"
    _claims(figures, "04_mi_learning_rate", [("fig5", "ends above", "gap +1.25", "reproduced"),
                                            ("fig6", "layer-wise", "needs a checkpoint (pass `checkpoint=`)", "not run")],
            edition=1)
    _claims(figures, "05_swwdirvae", [("table2", "DirVAE beats GVAE", "fewer than 3 seeds", "inconclusive")])
    df = book.claims(figures)
    assert list(df.edition) == ["1", "1", "2"] and df.reason[0] == book.FIRST_EDITION
    assert df.reason[1] == "needs a checkpoint (pass `checkpoint=`)"     # a first edition's not-run reason: its evidence
    assert "CHECKPOINT=<file>" in book.claims_table(df)
    head = book.headline(df)
    assert "2 at the small profile (first-edition rules, not re-executed): 1 reproduced" in head
    assert "1 at the small profile (decision functions): 0 reproduced, 0 not reproduced, 1 inconclusive" in head
    assert "fewer than 3 seeds" in book.claims_table(df)                # every inconclusive row shows its reason


def test_html_links_with_a_colon_survive_the_markdown_sanitizer(tmp_path):
    import mistune
    figures = tmp_path / "figures"
    _claims(figures, "04_mi_learning_rate", [("fig3", "policy 2 wins", "e", "inconclusive")])
    html = mistune.create_markdown(plugins=["table"])(book.claims_table(book.claims(figures), link_to="html"))
    assert "harmful" not in html and 'href="./04_mi_learning_rate.html#Figure-3-%E2%80%94-MNIST:-fixed' in html


def test_committed_readme_block_is_what_make_report_writes(tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    book.write_report(tmp_path / "REPORT.md", readme, ROOT / "figures")
    assert readme.read_text() == (ROOT / "README.md").read_text(), "run `make report` and commit README.md"
    assert (tmp_path / "REPORT.md").read_text() == (ROOT / "REPORT.md").read_text()
    assert book.costs_table() in readme.read_text() and "| 01_kfac_mlp_mixer | `kfac` |" in book.costs_table()


def test_items_are_found_by_their_paper_names_and_listed_with_status(tmp_path):
    found = book.find("table2")
    assert set(found.chapter) >= {"01_kfac_mlp_mixer", "03_actcoolr", "05_swwdirvae"}
    assert "make reproduce-kfac-table2" in set(found.target) and not len(book.find("fig99"))
    assert book.section("05_swwdirvae", "fig3").startswith("Figure 3") and book.section("05_swwdirvae", "sam").startswith("SAM")
    figures = tmp_path / "figures"
    _claims(figures, "05_swwdirvae", [("table2", "c", "e", "reproduced"), ("sam", "c", "no CIFAR-10", "not run")])
    (figures / "05_swwdirvae" / "fig2.png").write_bytes(b"")
    status = book.list_items(figures).set_index(["chapter", "item"])["status"]
    assert status["05_swwdirvae", "table2"].startswith("done at small: 1 reproduced")
    assert status["05_swwdirvae", "sam"] == "not run: no CIFAR-10"
    assert "fig2.png" in status["05_swwdirvae", "fig2"] and status["05_swwdirvae", "proposal"] == "not run (no output)"
    assert status["01_kfac_mlp_mixer", "table2"].startswith("not run")


def test_report_reads_the_chapters_figures(monkeypatch, tmp_path):
    monkeypatch.setattr(report, "PUBLISHED", tmp_path)
    assert len(book.claims()) == 0


def test_compare_flags_a_flipped_verdict_and_an_interval_that_misses_the_other_effect(tmp_path):
    rows = [("fig3", "policy 2 beats fixed", "reproduced"), ("fig3", "IHYLL rises", "inconclusive"),
            ("fig4", "warm-up", "not run")]
    for name, flip in (("a", "reproduced"), ("b", "inconclusive")):
        _claims(tmp_path / name, "04_mi_learning_rate", [(i, c, "x", flip if c == "IHYLL rises" else v)
                                                         for i, c, v in rows])
        df = pd.read_csv(tmp_path / name / "04_mi_learning_rate" / "claims.csv")
        df["effect"] = [1.0, 0.5 if name == "a" else 2.0, None]
        df["interval"] = ["[0.5, 1.5]", "[0.1, 0.9]" if name == "a" else "[1.5, 2.5]", ""]
        df.to_csv(tmp_path / name / "04_mi_learning_rate" / "claims.csv", index=False)
    df = book.compare(tmp_path / "a", tmp_path / "b").set_index("claim")
    assert df["same verdict"].to_dict() == {"policy 2 beats fixed": True, "IHYLL rises": False, "warm-up": True}
    assert df.loc["IHYLL rises", "A's interval holds B's effect"] == "no"
    assert df.loc["policy 2 beats fixed", "B's interval holds A's effect"] == "yes"
    assert df.loc["warm-up", "A's interval holds B's effect"] == "-"          # a not-run row has no interval
    assert book.main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert book.main(["compare", str(tmp_path / "a"), str(tmp_path / "a"), "04_mi_learning_rate"]) == 0
    with pytest.raises(SystemExit, match="no claims of 02_resmlp"):
        book.compare(tmp_path / "a", tmp_path / "b", "02_resmlp")


def test_a_timing_that_needs_an_idle_machine_points_to_make_bench_not_to_re_executing_the_item():
    hint = book.how_to_run("04_mi_learning_rate", "fig3", "timed by make bench (benchmarks/mi_cost.py) on an idle machine")
    assert hint == "to run it: `make bench` on an otherwise idle machine"
    assert book.how_to_run("04_mi_learning_rate", "fig3", "needs more ranges") == \
        "to run it: `make reproduce-mi-fig3 PROFILE=paper`"
