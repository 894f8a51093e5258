"""The book as a whole: every chapter's items and claims, read from what the chapters wrote — never typed.

- ``python -m lib.book report``: ``REPORT.md`` (every claim of every chapter: item, claim, evidence with ours
  and the paper's numbers, profile and device, verdict, a link to the section, and for what did not run here
  the command that runs it), and the same table in README.md between the report markers.
- ``python -m lib.book list``: every item of every chapter with its status (verdicts at which profile, runs
  waiting to be resumed, not run and why).
- ``python -m lib.book find table2``: the chapters that have an item, with their targets and costs.
- ``python -m lib.book compare <figures A> <figures B> [chapter]``: two executions' verdicts side by side (e.g.
  the committed ``figures/`` and a ``FRESH=1`` re-execution's); exits 1 if any claim's verdict differs.

Sources: ``figures/<chapter>/claims.csv`` and ``provenance.json`` (committed), the run store (``results/``,
local), and the chapter modules (``lib.chapters``: their items and costs).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from lib import ROOT, chapters, profiles, report, runs

START, END = "<!-- report:start (make report writes this; do not edit) -->", "<!-- report:end -->"
COSTS_START, COSTS_END = "<!-- costs:start (make report writes this from lib/chapters/*.py COST) -->", "<!-- costs:end -->"
ORDER = ("reproduced", "not reproduced", "inconclusive", "not run", "smoke (not a result)")


def short(chapter: str) -> str:
    """The name ``make reproduce-<short>-<item>`` uses: the first word after ``NN_`` (01_kfac_mlp_mixer -> kfac)."""
    return chapter.split("_")[1]


def command(chapter: str, item: str, profile: str = "paper") -> str:
    return f"make reproduce-{short(chapter)}-{item} PROFILE={profile}"


# data sets the book has no loader for (lib/data.py loads MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100)
NO_LOADER = ("ImageNet", "WMT", "ADE20k", "Omniglot", "iNaturalist")


def how_to_run(chapter: str, item: str, reason: str) -> str:
    """What a "not run" item needs, as a command that will run it — with ``CHECKPOINT=`` when it needs a
    checkpoint — or, when it needs a data set the book cannot load, saying so instead of a command that would
    "not run" again."""
    if "checkpoint" in reason.lower():
        return f"to run it: `{command(chapter, item)} CHECKPOINT=<file>`"
    if "make bench" in reason:          # a timing: re-executing the item on a busy machine would not decide it
        return "to run it: `make bench` on an otherwise idle machine"
    missing = [d for d in NO_LOADER if d.lower() in reason.lower()]
    if missing:
        return (f"not runnable by this book yet: it has no loader for {', '.join(missing)} (lib/data.py); with one, "
                f"`{command(chapter, item)}`")
    return f"to run it: `{command(chapter, item)}`"


def section(chapter: str, item: str) -> str | None:
    """The title of the chapter's section for ``item`` ("table2" -> the heading naming "Table 2"), or None."""
    src = ROOT / "book" / f"{chapter}.py"
    if not src.exists():
        return None
    m = re.fullmatch(r"(table|fig)(\d+)", item)
    pattern = (rf"\b{'Table' if m.group(1) == 'table' else 'Figures?'}s?\s+(\d+\s*(,|and|–)\s*)*{m.group(2)}\b"
               if m else rf"\b{re.escape(item)}\b")
    for line in src.read_text().splitlines():
        if line.startswith("# ## ") and re.search(pattern, line, flags=re.IGNORECASE):
            return line[len("# ## "):].strip()
    return None


def anchor(title: str) -> str:
    """nbconvert's id for a heading: its text with spaces as hyphens, non-ASCII percent-encoded."""
    return quote(title.replace(" ", "-"), safe="!$&'()*+,/:;=?@~")


FIRST_EDITION = "1st-edition rule (2-s.e. test, no preconditions): chapter not re-executed since"


def claims(figures: Path | None = None) -> pd.DataFrame:
    """Every chapter's claims.csv, in chapter order, with the device each chapter ran on. A claims.csv written
    before the decision functions (no ``reason`` column) keeps its verdicts, marked as first-edition."""
    figures = figures or report.PUBLISHED
    frames = []
    for chapter in chapters.index():
        path = figures / chapter / "claims.csv"
        if not path.exists():
            continue
        prov = figures / chapter / "provenance.json"
        meta = json.loads(prov.read_text()) if prov.exists() else {}
        df = pd.read_csv(path, keep_default_na=False, dtype=str)
        edition = "2" if "reason" in df.columns else "1"
        df = df.reindex(columns=report.COLUMNS, fill_value="")
        if edition == "1":          # its not-run reason was written as the evidence
            df["reason"] = df["evidence"].where(df["verdict"] == "not run", FIRST_EDITION)
        frames.append(df.assign(edition=edition, device=meta.get("device_name", meta.get("device", "?")),
                                commit=meta.get("commit", "?")))
    cols = [*report.COLUMNS, "edition", "device", "commit"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def compare(a: Path, b: Path, chapter: str | None = None) -> pd.DataFrame:
    """Two executions' claims, matched on (chapter, item, claim): each one's verdict, effect and interval, whether
    the verdict is the same, and whether each interval holds the other execution's effect (``-`` where a row has
    no interval). A claim in one execution only is listed with the other's verdict empty."""
    key = ["chapter", "item", "claim"]
    x, y = claims(a), claims(b)
    if chapter:
        x, y = x[x.chapter == chapter], y[y.chapter == chapter]
    if not len(x) or not len(y):
        raise SystemExit(f"compare: no claims{f' of {chapter}' if chapter else ''} in {a if not len(x) else b} "
                         "(a figures folder holding <chapter>/claims.csv)")
    cols = [*key, "verdict", "effect", "interval"]
    df = x[cols].merge(y[cols], on=key, how="outer", suffixes=(" A", " B")).fillna("")
    df["same verdict"] = df["verdict A"] == df["verdict B"]
    df["A's interval holds B's effect"] = [_holds(i, e) for i, e in zip(df["interval A"], df["effect B"])]
    df["B's interval holds A's effect"] = [_holds(i, e) for i, e in zip(df["interval B"], df["effect A"])]
    return df


def _holds(interval: str, effect: str) -> str:
    lo_hi = re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|[-+]?inf", interval)
    if len(lo_hi) != 2 or not effect:
        return "-"
    lo, hi = map(float, lo_hi)
    return "yes" if lo <= float(effect) <= hi else "no"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _ours(r) -> str:
    """Our numbers with the decision's effect, interval and n, or the old evidence text."""
    parts = [p for p in (r.ours, f"effect {r.effect} {r.interval}".strip() if r.effect else "",
                         f"n = {r.n}" if r.n else "") if p]
    return "; ".join(parts) or r.evidence


def claims_table(df: pd.DataFrame, *, link_to: str = "ipynb") -> str:
    """The markdown table of ``df``'s claims — the paper's numbers beside ours, the verdict and its reason; the
    section links go to the notebooks (``ipynb``) or the rendered pages (``html``)."""
    lines = ["| chapter | item | claim | paper | ours (effect [interval], n) | profile · device | verdict | reason | section |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in df.itertuples():
        title = section(r.chapter, r.item)
        # "./": a link "x.html#A:-b" would read to a markdown sanitizer as the URL scheme "x.html#a" (mistune
        # writes "#harmful-link" for it); with "./" nothing before the first "/" holds a ":"
        target = f"book/{r.chapter}.ipynb" if link_to == "ipynb" else f"./{r.chapter}.html"
        link = f"[{_cell(title or r.chapter)}]({target}" + (f"#{anchor(title)})" if title and link_to == "html" else ")")
        reason = r.reason + (f" — {how_to_run(r.chapter, r.item, r.reason)}" if r.verdict == "not run" else "")
        lines.append(f"| {r.chapter[:2]} | {r.item} | {_cell(r.claim)} | {_cell(r.paper or '—')} | {_cell(_ours(r))} | "
                     f"{r.profile} · {_cell(r.device)} | **{r.verdict}** | {_cell(reason)} | {link} |")
    return "\n".join(lines)


def counts(df: pd.DataFrame) -> str:
    c = df["verdict"].value_counts()
    return ", ".join(f"{int(c.get(v, 0))} {v}" for v in ORDER)


def headline(df: pd.DataFrame) -> str:
    """The verdict counts, by the profile and the rules they were decided at."""
    if not len(df):
        return "no claims"
    parts = []
    for (edition, profile), g in df.groupby(["edition", "profile"], sort=True):
        rules = "decision functions" if edition == "2" else "first-edition rules, not re-executed"
        parts.append(f"{len(g)} at the {profile} profile ({rules}): {counts(g)}")
    return "; ".join(parts)


def write_report(out: Path | None = None, readme: Path | None = None, figures: Path | None = None) -> Path:
    """REPORT.md and the README's report block, from the chapters' claims."""
    df = claims(figures)
    out, readme = out or ROOT / "REPORT.md", readme or ROOT / "README.md"
    missing = [c for c in chapters.index() if c not in set(df["chapter"])]
    body = ["# Reproduction report\n",
            f"Generated by `make report` from `figures/<chapter>/claims.csv` — {len(df)} claims of "
            f"{df['chapter'].nunique()} chapters; {headline(df)}.\n",
            "A verdict is computed in its chapter by a rule in `lib/chapters/<chapter>.py` through `lib/verdicts.py`: "
            "comparisons on Welch or bootstrap intervals with at least 3 seeds per group, \"similar\" by an "
            "equivalence test against a stated margin, and every claim's preconditions (the compared runs trained, "
            "the baseline tuned or rate-matched, the estimate off its estimator's bounds) computed first — a failed "
            "one makes the verdict inconclusive, with its numbers as the reason. \"not run\" says what is missing "
            "and the command that runs the item.\n",
            (f"Chapters not executed yet: {', '.join(missing)}.\n" if missing else ""),
            claims_table(df)]
    not_run = df[df.verdict == "not run"]
    if len(not_run):
        body += ["\n## What could not run here, and how to run it\n",
                 *[f"- {r.chapter} · {r.item}: {r.reason} — {how_to_run(r.chapter, r.item, r.reason)}"
                   for r in not_run.itertuples()]]
    out.write_text("\n".join(body) + "\n")
    if readme.exists():
        text = _between(readme, readme.read_text(), START, END,
                        f"**Results at a glance** ({headline(df)}; details in [REPORT.md](REPORT.md)):\n\n{claims_table(df)}")
        if COSTS_START in text:       # the book's README has the costs table too
            text = _between(readme, text, COSTS_START, COSTS_END, costs_table())
        readme.write_text(text)
    return out


def _between(path: Path, text: str, start: str, end: str, block: str) -> str:
    if start not in text or end not in text:
        raise ValueError(f"{path} has no report markers ({start} … {end})")
    return text[:text.index(start)] + f"{start}\n{block}\n{end}" + text[text.index(end) + len(end):]


def costs_table() -> str:
    """The README's table of what each chapter costs at each profile, from the chapter modules' ``COST``."""
    rows = ["| chapter | `make reproduce-<short>-…` | smoke | small (2 CPU cores) | paper (one GPU, estimated) |",
            "| --- | --- | --- | --- | --- |"]
    rows += [f"| {c} | `{short(c)}` | {m.COST['smoke']} | {m.COST['small']} | {m.COST['paper']} |"
             for c, m in chapters.every().items()]
    return "\n".join(rows)


def _store() -> pd.DataFrame:
    """Every run in the store: kind, profile, status (done / stale / corrupt / running / partial), folder."""
    rows = []
    for cfg_path in runs.RESULTS.glob("*/*/config.json"):
        try:
            cfg = json.loads(cfg_path.read_text())
        except json.JSONDecodeError as e:
            rows.append({"kind": cfg_path.parent.parent.name, "profile": "?", "status": "corrupt",
                         "folder": f"{cfg_path} ({e}); remove {cfg_path.parent}"})
            continue
        status = runs.status(cfg)
        made_by = ""
        if status == "stale":
            made_by = runs.read(cfg_path.parent / "result.json").get("identity", {}).get("commit", "before identities")
        folder = str(cfg_path.parent.relative_to(runs.RESULTS.parent)) + (f" (made by {made_by})" if made_by else "")
        rows.append({"kind": cfg.get("kind"), "profile": cfg.get("profile"), "status": status, "folder": folder})
    return pd.DataFrame(rows, columns=["kind", "profile", "status", "folder"])


def outdated(profile: str | None, *, every: bool = False) -> list[str]:
    """The executed notebooks to rebuild because they were executed at another profile than ``profile``
    (their ``figures/<chapter>/provenance.json`` says which), or all of them with ``every``."""
    want = profiles.resolve(profile)
    out = []
    for chapter in chapters.index():
        nb = ROOT / "book" / f"{chapter}.ipynb"
        prov = report.PUBLISHED / chapter / "provenance.json"
        if nb.exists() and (every or not prov.exists() or json.loads(prov.read_text()).get("profile") != want):
            out.append(str(nb.relative_to(ROOT)))
    return out


def list_items(figures: Path | None = None) -> pd.DataFrame:
    """One row per item of every chapter: its verdicts and the profile they came from, or why it did not run."""
    df = claims(figures)
    rows = []
    for chapter, module in chapters.every().items():
        for item in module.ITEMS:
            mine = df[(df.chapter == chapter) & (df.item == item)]
            if not len(mine):
                outputs = sorted(p.name for p in (figures or report.PUBLISHED).glob(f"{chapter}/{item}*"))
                status = "not run (the chapter has not been executed)" if chapter not in set(df.chapter) else \
                    f"done at {df[df.chapter == chapter].profile.iloc[0]}: {', '.join(outputs)} (no claim of its own)" \
                    if outputs else "not run (no output)"
            elif (mine.verdict == "not run").all():
                status = f"not run: {mine.reason.iloc[0]}"
            else:
                status = f"done at {mine.profile.iloc[0]}: {counts(mine)}"
            rows.append({"chapter": chapter, "item": item, "status": status, "target": command(chapter, item, "small")})
    return pd.DataFrame(rows)


def find(item: str) -> pd.DataFrame:
    """The chapters that have ``item``, each with its target and what the item costs."""
    rows = [{"chapter": c, "item": item, "section": section(c, item) or "—", "target": f"make reproduce-{short(c)}-{item}",
             "whole chapter's cost (small / paper)": f"{m.COST['small']} / {m.COST['paper']}"}
            for c, m in chapters.every().items() if item in m.ITEMS]
    return pd.DataFrame(rows)


def costs() -> str:
    """Every chapter's short name and cost per profile, from its module (what ``make help`` prints)."""
    return "\n".join(f"    {short(c):<10} {c:<20} {m.COST['smoke']} / {m.COST['small']} / {m.COST['paper']}"
                     for c, m in chapters.every().items())


def show(figures: Path, chapter: str, item: str) -> int:
    """Print one executed item's claims with their verdicts and reasons (the end of ``make reproduce-*``);
    1 when the item left no claim, or only "not run" ones."""
    path = figures / chapter / "claims.csv"
    if not path.exists():
        print(f"{item}: no claims written ({path} is missing): the notebook did not finish")
        return 1
    df = pd.read_csv(path, keep_default_na=False, dtype=str)
    df = df[df["item"] == item]
    for r in df.itertuples():
        reason = getattr(r, "reason", "")
        print(f"{r.item} · {r.claim}: {r.verdict}" + (f": {reason}" if r.verdict == "not run" else f" — {reason}"
                                                       if reason else ""))
    if not len(df):
        print(f"{item}: the chapter recorded no claim for this item (a figure or table only)")
        return 0
    return 1 if (df["verdict"] == "not run").all() else 0


def check(chapter: str, item: str) -> int:
    """0 when ``chapter`` has ``item`` (``make reproduce-*`` asks before a kernel starts); else 2, naming the
    valid items."""
    items = chapters.items(chapter)
    if item not in items:
        print(f"{chapter} has no item {item!r}; its items: {', '.join(items)} "
              f"(make reproduce-{short(chapter)}-<item>; make list shows them all)")
        return 2
    return 0


def error(notebook: Path, log: Path) -> int:
    """Why an executed notebook failed, in a few lines: the failing cell's exception (papermill's traceback
    around it stays in ``log``). Returns 1."""
    import nbformat
    message = None
    if notebook.exists():
        for i, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    message = f"cell {i}: {out['ename']}: {out['evalue']}"
    if message is None:
        tail = log.read_text().strip().splitlines()[-5:] if log.exists() else ["(no log)"]
        message = "\n".join(tail)
    print(f"FAILED: {notebook.name} — {message}\n(the whole traceback: {log})")
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("report", "list", "find", "outdated", "show", "costs", "check", "error", "compare"):
        print("usage: python -m lib.book report | list | find <item> | outdated <profile> [--all] | "
              "show <figures folder> <chapter> <item> | costs | check <chapter> <item> | error <notebook> <log> | "
              "compare <figures A> <figures B> [chapter]")
        return 2
    if argv[0] == "check":
        return check(argv[1], argv[2])
    if argv[0] == "error":
        return error(Path(argv[1]), Path(argv[2]))
    if argv[0] == "costs":
        print(costs())
        return 0
    if argv[0] == "compare":
        df = compare(Path(argv[1]), Path(argv[2]), argv[3] if len(argv) > 3 else None)
        with pd.option_context("display.max_colwidth", 90, "display.width", 250, "display.max_rows", 500):
            print(df.drop(columns="chapter").to_string(index=False))
        flipped = int((~df["same verdict"]).sum())
        print(f"\n{len(df) - flipped} of {len(df)} claims have the same verdict in both; {flipped} differ")
        return 1 if flipped else 0
    if argv[0] == "show":
        return show(Path(argv[1]), argv[2], argv[3])
    if argv[0] == "outdated":
        print(" ".join(outdated(argv[1] if len(argv) > 1 else None, every="--all" in argv)))
        return 0
    with pd.option_context("display.max_colwidth", 120, "display.width", 250, "display.max_rows", 500):
        if argv[0] == "report":
            print(f"wrote {write_report()} and the README's report block")
        elif argv[0] == "list":
            print(list_items().to_string(index=False))
            print("\nwhat each chapter costs (smoke / small on 2 CPU cores / paper on one GPU, estimated):")
            print(costs())
            store = _store()
            if len(store):
                print("\nrun store (results/):")
                print(store.value_counts(["profile", "status"]).rename("runs").to_string())
                waiting = store[store.status.isin(["partial", "running"])]
                if len(waiting):
                    print("\nruns waiting to be resumed (re-run their item):")
                    print(waiting.to_string(index=False))
                for status, what in (("stale", "made by other code than today's lib (make book STALE=rerun retrains them)"),
                                     ("corrupt", "unreadable records: remove the folder to retrain the run")):
                    bad = store[store.status == status]
                    if len(bad):
                        print(f"\n{status} runs — {what}:")
                        print(bad.to_string(index=False))
        else:
            if len(argv) < 2:
                print("usage: python -m lib.book find <item>   (e.g. table2, fig3)")
                return 2
            found = find(argv[1])
            if not len(found):
                known = sorted({i for m in chapters.every().values() for i in m.ITEMS})
                print(f"no chapter has an item {argv[1]!r}; items: {', '.join(known)}")
                return 2
            print(found.to_string(index=False))
            print("\nrun one: make reproduce-<chapter>-<item> (or this target with CHAPTER=<chapter short name>)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
