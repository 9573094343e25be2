"""The public API is a contract: these names, no more and no fewer, and each is documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

import funnel_lib

TOP_LEVEL = [
    "ASK_CATALOG", "AUDIENCES", "Audience", "CatalogEntry", "Finding", "Funnel", "ModelParams", "Report",
    "FunnelError", "FunnelIndexError", "FunnelTypeError", "FunnelValueError",
    "Robustness", "SimulationResult", "Stage", "Step", "Thresholds", "__version__", "big_ask_baseline", "catalog_frame",
    "check", "compare", "compare_counts", "compare_variants", "funnel_from_events", "robustness", "simulate",
    "time_to_convert",
]
MODULES = ["model", "stages", "catalog", "audience", "simulate", "evidence", "framework", "thresholds", "examples",
           "plots", "quiz", "events", "stats", "sql", "warehouse", "datasets", "widgets", "grading", "uncertainty",
           "errors"]


def test_top_level_names_are_pinned() -> None:
    assert sorted(funnel_lib.__all__) == sorted(TOP_LEVEL)
    for name in TOP_LEVEL:
        assert hasattr(funnel_lib, name), name


def test_design_brief_import_line_works() -> None:
    from funnel_lib import Funnel, Stage, Step, check, compare_variants, funnel_from_events, simulate  # noqa: F401

    assert [s.value for s in Stage] == ["entry", "engagement", "progression", "reinforcement", "conversion"]


@pytest.mark.parametrize("module", MODULES)
def test_every_public_function_is_documented_with_an_example(module: str) -> None:
    mod = importlib.import_module(f"funnel_lib.{module}")
    assert isinstance(mod.__all__, list | tuple) and mod.__all__, f"funnel_lib.{module} needs an explicit __all__"
    missing = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__.startswith("funnel_lib"):
            doc = inspect.getdoc(obj) or ""
            if not doc or ">>>" not in doc:
                missing.append(name)
    assert missing == [], f"funnel_lib.{module}: no docstring example for {missing}"


def test_package_init_only_reexports() -> None:
    import ast

    tree = ast.parse(inspect.getsource(funnel_lib))
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.ImportFrom):
            continue
        assert isinstance(node, ast.Assign) and [t.id for t in node.targets] in (["__version__"], ["__all__"]), \
            ast.dump(node)[:80]


#: Public names of submodules pinned name by name (grow this when a module's API is reviewed).
PINNED = {
    "quiz": ["Question", "Quiz", "learner_seed", "LEARNER_SEED_ENV", "KINDS", "FEEDBACK_COLOURS"],
    "plots": ["OKABE_ITO", "PALETTE", "MODEL_NOTE", "plot_funnel", "plot_ladder", "plot_comparison", "plot_cohort",
              "add_model_note", "describe_funnel", "describe_ladder", "describe_comparison", "describe_cohort"],
    "stats": ["compare_variants", "compare_counts", "prob_b_beats_a", "sample_size_per_arm", "MIN_EXPECTED"],
    "datasets": ["load_hillstrom", "load_online_shoppers", "simulate_campaign_events", "simulate_ab_test", "data_path",
                 "DATA_FILES", "NOISE_EVENTS", "SEGMENTS"],
    # the integrity scan's finding is IntegrityFinding (funnel_lib.Finding is the design checker's); one base error
    "grading": ["STATUSES", "AutogradeReport", "Course", "CourseError", "GradeReport", "GradingError", "GradingFailed",
                "IntegrityFinding", "Limits", "QuestionResult", "StudentResult", "autograde", "check_exercise",
                "find_course_root", "grade_notebook", "load_course", "parse_size", "scan_code"],
}


@pytest.mark.parametrize("module", sorted(PINNED))
def test_submodule_names_are_pinned(module: str) -> None:
    mod = importlib.import_module(f"funnel_lib.{module}")
    assert sorted(mod.__all__) == sorted(PINNED[module])


def test_public_classes_and_functions_have_unique_names() -> None:
    """One name, one thing: a class or function exported under the same name twice is the same object."""
    homes: dict[str, list[tuple[str, object]]] = {}
    for module in ["funnel_lib"] + [f"funnel_lib.{m}" for m in MODULES]:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                homes.setdefault(name, []).append((module, obj))
    clashes = {name: [module for module, _ in found] for name, found in homes.items()
               if len({id(obj) for _, obj in found}) > 1}
    assert clashes == {}
