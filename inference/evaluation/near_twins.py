"""A library of near-twin documents: 20 fictional companies x 5 fiscal years of annual reports.

Real libraries are full of siblings: the same company's report for five years, contracts from
one template. Every report here has the same sections in the same order and the same
boilerplate; only the company, the year and the figures differ. As in real reports, the
tables of figures never name the company, and they print the prior year next to the
current one, so a year's figures also appear in the next year's report; the prose names the
company and the years around it (prior year, next year) on several pages of every
sibling. A question names a company, a fiscal year and a figure; its evidence is one page
of one file (the named year's report).

File names are neutral (`report-017.pdf`), so whatever tells the reports apart must come from
their text. Everything is drawn from one seed: the same seed writes the same set.

Written with fpdf2 (a test and evaluation dependency, not the app's); pypdf, the app's
reader, extracts it like any other PDF.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from documents.errors import InvalidInputError

#: The file that marks a folder as a near-twin set, with what made it.
MANIFEST = "near_twins.json"
QUESTIONS = "questions.jsonl"
DOCUMENTS = "documents"
#: Bumped whenever the generated text changes, so a kept index is never reused stale.
GENERATOR_VERSION = 2

COMPANIES = (
    "Aldercrest Holdings", "Brightwater Logistics", "Corvane Systems", "Dunmore Foods",
    "Elmsworth Energy", "Fairhaven Pharmaceuticals", "Glenrock Mining", "Harrowgate Retail",
    "Ivybridge Telecom", "Juniper Ridge Insurance", "Kestrel Aerospace", "Larkspur Textiles",
    "Northwind Logistics", "Northwind Energy", "Oakhurst Semiconductors", "Pemberton Chemicals",
    "Quillfield Media", "Redfern Automotive", "Silverlake Software", "Thornbury Water",
)
YEARS = (2019, 2020, 2021, 2022, 2023)

SECTIONS = ("Letter to Shareholders", "Financial Highlights", "Operations Review",
            "Segment Results", "Capital and Liquidity", "Corporate Governance", "Sustainability",
            "Risk Factors", "Outlook")


@dataclass(frozen=True)
class Figure:
    """One figure of a report: where it is printed and how a question names it."""

    key: str
    label: str
    section: str
    question: str
    unit: str


FIGURES = (
    Figure("revenue", "Revenue", "Financial Highlights", "revenue", "million"),
    Figure("operating_income", "Operating income", "Financial Highlights", "operating income",
           "million"),
    Figure("net_income", "Net income", "Financial Highlights", "net income", "million"),
    Figure("eps", "Diluted earnings per share", "Financial Highlights",
           "diluted earnings per share", "dollars"),
    Figure("total_assets", "Total assets", "Financial Highlights", "total assets", "million"),
    Figure("employees", "Employees at year end", "Operations Review", "number of employees",
           "people"),
    Figure("countries", "Countries with operations", "Operations Review",
           "number of countries with operations", "countries"),
    Figure("sites", "Production and service sites", "Operations Review",
           "number of production and service sites", "sites"),
    Figure("cash", "Cash and cash equivalents", "Capital and Liquidity",
           "cash and cash equivalents", "million"),
    Figure("capex", "Capital expenditures", "Capital and Liquidity", "capital expenditures",
           "million"),
    Figure("research", "Research and development expense", "Capital and Liquidity",
           "research and development expense", "million"),
    Figure("dividend", "Dividends declared per share", "Capital and Liquidity",
           "dividend per share", "dollars"),
)

_PERIOD_STYLES = ("fiscal year {y}", "FY{y}", "fiscal {y}", "{y}")
_QUESTION_STYLES = (
    "What was {company}'s {figure} in {period}?",
    "What {figure} did {company} report for {period}?",
    "In {period}, what was the {figure} of {company}?",
    "{company} {figure} {period}",
)

_LETTER = (
    "Dear shareholders,",
    "In {period_text}, {company} continued to execute on the strategy we set out three years "
    "ago: disciplined growth, careful allocation of capital and a steady focus on the "
    "customers we serve. Our teams worked through a demanding environment with energy and "
    "care, and the results in this report reflect their commitment.",
    "We invested in our core operations, simplified our organisation and strengthened our "
    "balance sheet. Demand in our main markets remained resilient, although input costs and "
    "wage inflation weighed on margins during parts of the year.",
    "Compared with {prior_text}, the business grew in most of our markets. The Board of "
    "{company} remains confident in its long-term prospects and thanks our employees, "
    "customers and partners for their trust.",
)
_OPERATIONS = (
    "Our operations are organised around regional hubs that share purchasing, quality "
    "assurance and technology platforms. During the year we continued to consolidate smaller "
    "sites into larger, more efficient facilities and to invest in safety training.",
)
_SEGMENTS = (
    "We report three operating segments. Segment revenue is presented before eliminations "
    "of sales between segments.",
)
_CAPITAL = (
    "We fund our operations and investments from operating cash flow and committed credit "
    "facilities. Capital allocation priorities are unchanged: investment in the business, "
    "a progressive dividend and, where appropriate, share repurchases.",
)
_GOVERNANCE = (
    "The Board of {company} is responsible for the long-term success of the company. During "
    "{period_text} the Board met nine times and its committees met as planned. The Audit "
    "Committee oversaw financial reporting, internal control and the external audit of "
    "{company}; the Remuneration Committee set the pay of the executive directors.",
    "{company} applies the principles of good corporate governance, and the directors of "
    "{company} consider that the company complied with the governance code throughout the "
    "year, as in {prior_text}.",
)
_SUSTAINABILITY = (
    "At {company}, sustainability is part of how we run the business. In {period_text} we "
    "reduced the energy intensity of our sites, increased the share of renewable electricity "
    "and reported our emissions under the Greenhouse Gas Protocol, as we did in {prior_text}.",
    "The people of {company} are its greatest asset. We measure engagement every year and "
    "invest in training, safety and inclusion across every country where {company} operates.",
)
_RISKS = (
    "Our business is exposed to risks that could affect our results, including changes in "
    "demand, competition, the cost and availability of raw materials and energy, currency "
    "movements, cyber security incidents, regulation and the loss of key personnel.",
    "We manage these risks through our enterprise risk management framework, which the "
    "Audit Committee reviews twice a year. The principal risks did not change materially "
    "during the year.",
)
_OUTLOOK = (
    "For {next_text}, we expect market conditions to remain mixed in the coming year. We "
    "will continue to invest in productivity and in our people, and we remain committed "
    "to our medium-term targets for growth, margins and cash conversion.",
)
_SEGMENT_NAMES = (("Industrial", "Consumer", "Services"), ("North America", "Europe", "Asia"),
                  ("Products", "Solutions", "Maintenance"))


@dataclass(frozen=True)
class Report:
    company: str
    year: int
    file: str
    figures: dict[str, str]
    #: The same figures for the year before, printed in a second column as reports do.
    prior: dict[str, str]
    segments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TwinQuestion:
    id: str
    question: str
    answer: str
    doc: str
    page: int
    company: str
    year: int
    figure: str


def _figures(rng: random.Random, scale: float,
             used: dict[str, set[str]]) -> dict[str, str]:
    """Values for one company-year: no two reports print the same value of a figure."""
    def unique(key: str, spec: str) -> str:
        taken = used.setdefault(key, set())
        while True:
            text = _draw(rng, spec, scale)
            if text not in taken:
                taken.add(text)
                return text

    return {
        "revenue": unique("revenue", "money:800:9000"),
        "operating_income": unique("operating_income", "money:60:900"),
        "net_income": unique("net_income", "money:30:700"),
        "eps": unique("eps", "cents:0.50:9.99"),
        "total_assets": unique("total_assets", "money:1200:20000"),
        "employees": unique("employees", "count:1500:60000"),
        "countries": unique("countries", "small:4:190"),
        "sites": unique("sites", "small:200:900"),
        "cash": unique("cash", "money:90:2500"),
        "capex": unique("capex", "money:40:900"),
        "research": unique("research", "money:10:600"),
        "dividend": unique("dividend", "cents:0.10:3.50"),
    }


def _draw(rng: random.Random, spec: str, scale: float) -> str:
    kind, low, high = spec.split(":")
    if kind == "money":
        return f"{rng.uniform(float(low), float(high)) * scale:,.1f}"
    if kind == "cents":
        return f"{rng.uniform(float(low), float(high)):.2f}"
    if kind == "count":
        return f"{round(rng.uniform(float(low), float(high)) * scale):,}"
    return str(rng.randint(int(low), int(high)))


def plan_reports(seed: int = 0) -> list[Report]:
    """Every report of the set, with its figures, in file order."""
    rng = random.Random(seed)
    used: dict[str, set[str]] = {}
    reports: list[Report] = []
    for number, (company, year) in enumerate(
            (company, year) for company in COMPANIES for year in YEARS):
        scale = 1.0 + 0.06 * (year - YEARS[0])
        segments = _SEGMENT_NAMES[COMPANIES.index(company) % len(_SEGMENT_NAMES)]
        figures = _figures(rng, scale, used)
        prior = (reports[-1].figures if year != YEARS[0]
                 else _figures(rng, scale / 1.06, {}))
        shares = [rng.uniform(0.2, 0.5) for _ in segments]
        revenue = float(figures["revenue"].replace(",", ""))
        reports.append(Report(
            company, year, f"report-{number:03d}.pdf", figures, prior,
            tuple((name, f"{revenue * share / sum(shares):,.1f}")
                  for name, share in zip(segments, shares, strict=True))))
    return reports


def plan_questions(reports: list[Report], count: int = 200, seed: int = 0) -> list[TwinQuestion]:
    """`count` questions spread evenly over the reports, each naming company, year, figure."""
    rng = random.Random(seed + 1)
    questions: list[TwinQuestion] = []
    per_report = -(-count // len(reports))
    for report in reports:
        for figure in rng.sample(FIGURES, per_report):
            period = rng.choice(_PERIOD_STYLES).format(y=report.year)
            text = rng.choice(_QUESTION_STYLES).format(
                company=report.company, figure=figure.question, period=period)
            questions.append(TwinQuestion(
                f"q{len(questions):03d}", text[0].upper() + text[1:],
                report.figures[figure.key], report.file,
                SECTIONS.index(figure.section) + 2, report.company, report.year, figure.key))
    return questions[:count]


def write_report(report: Report, path: Path) -> None:
    """One annual report as a PDF: a cover page, then one page per section."""
    try:
        from fpdf import FPDF  # A test and evaluation dependency: `pip install fpdf2`.
    except ImportError as error:
        raise InvalidInputError("writing the near-twin set needs fpdf2 "
                                "(pip install fpdf2)") from error

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))
    pdf.set_auto_page_break(auto=True, margin=20)
    period_text = f"fiscal year {report.year}"

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 26)
    pdf.ln(60)
    pdf.multi_cell(0, 14, report.company, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 16)
    pdf.multi_cell(0, 10, f"Annual Report {report.year}", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 10, f"For the fiscal year ended December 31, {report.year}",
                   new_x="LMARGIN", new_y="NEXT")

    def section(title: str, paragraphs: tuple[str, ...]) -> None:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 18)
        pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph.format(
                company=report.company, period_text=period_text,
                prior_text=f"fiscal year {report.year - 1}",
                next_text=f"fiscal year {report.year + 1}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)

    def table(caption: str, rows: list[tuple[str, ...]]) -> None:
        pdf.set_font("Helvetica", "I", 10)
        pdf.multi_cell(0, 6, caption, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        columns = len(rows[0])
        with pdf.table(col_widths=(100, 30, 30)[:columns], width=40 + 30 * columns,
                       text_align=("LEFT", "RIGHT", "RIGHT")[:columns]) as grid:
            for cells in rows:
                row = grid.row()
                for cell in cells:
                    row.cell(cell)
        pdf.ln(4)

    def rows(section_name: str) -> list[tuple[str, ...]]:
        header: list[tuple[str, ...]] = [("", str(report.year), str(report.year - 1))]
        return header + [
            (figure.label, report.figures[figure.key], report.prior[figure.key])
            for figure in FIGURES if figure.section == section_name]

    section("Letter to Shareholders", _LETTER)
    section("Financial Highlights", ())
    table("In millions of US dollars, except per-share amounts.",
          rows("Financial Highlights"))
    section("Operations Review", _OPERATIONS)
    table("Operating data at the end of the fiscal year.", rows("Operations Review"))
    section("Segment Results", _SEGMENTS)
    table("Segment revenue, in millions of US dollars.",
          [("Segment", "Revenue"), *report.segments])
    section("Capital and Liquidity", _CAPITAL)
    table("In millions of US dollars, except per-share amounts.",
          rows("Capital and Liquidity"))
    section("Corporate Governance", _GOVERNANCE)
    section("Sustainability", _SUSTAINABILITY)
    section("Risk Factors", _RISKS)
    section("Outlook", _OUTLOOK)
    pdf.output(str(path))


def generate_near_twins(directory: Path, seed: int = 0, questions: int = 200) -> int:
    """Write the set into `directory` (documents/, questions.jsonl, the manifest).

    Returns the number of reports written. Refuses a folder that already holds other files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()) and not (directory / MANIFEST).is_file():
        raise InvalidInputError(f"{directory}: not empty; give an empty or new folder")
    reports = plan_reports(seed)
    folder = directory / DOCUMENTS
    folder.mkdir(exist_ok=True)
    for report in reports:
        write_report(report, folder / report.file)
    with (directory / QUESTIONS).open("w", encoding="utf-8") as stream:
        for question in plan_questions(reports, questions, seed):
            stream.write(json.dumps(question.__dict__) + "\n")
    (directory / MANIFEST).write_text(json.dumps({
        "kind": "near-twins", "generator_version": GENERATOR_VERSION, "seed": seed,
        "companies": len(COMPANIES), "years": list(YEARS), "reports": len(reports),
        "questions": questions}, indent=2) + "\n", encoding="utf-8")
    return len(reports)


def is_near_twins(directory: Path) -> bool:
    return (directory / MANIFEST).is_file()


def twins_key(directory: Path) -> str:
    """A short digest of the set's manifest and questions, naming its kept index."""
    digest = hashlib.sha256((directory / MANIFEST).read_bytes())
    digest.update((directory / QUESTIONS).read_bytes())
    return f"twins-{digest.hexdigest()[:10]}"


def load_questions(directory: Path) -> list[TwinQuestion]:
    path = directory / QUESTIONS
    if not path.is_file() or not (directory / DOCUMENTS).is_dir():
        raise InvalidInputError(f"{directory}: expected {DOCUMENTS}/ and {QUESTIONS}")
    questions = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    questions.append(TwinQuestion(**json.loads(line)))
                except (json.JSONDecodeError, TypeError) as error:
                    raise InvalidInputError(
                        f"{path}:{number}: not a question record ({error})") from error
    return questions
