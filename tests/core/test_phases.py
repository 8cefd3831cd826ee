"""Phases as real plans write them: the shapes issue #15 lists, read by `plan.parse`."""

from __future__ import annotations

import pytest

from bot.core import plan


def _phases(body: str) -> list[tuple[int, str, str]]:
    return [(p.number, p.label, p.title) for p in plan.parse(body).phases]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "## P0 IMMEDIATE FIXES (Same Day)\nfix\n## P1 NEXT (This week)\nmore\n"
            "## P2 LATER\nrest\n",
            [(1, "P0", "IMMEDIATE FIXES"), (2, "P1", "NEXT"), (3, "P2", "LATER")],
        ),
        (
            "# Plan\n### Task 1: Fix the fixtures\nx\n### Task 2: Pin the clock\ny\n",
            [(1, "Task 1", "Fix the fixtures"), (2, "Task 2", "Pin the clock")],
        ),
        (
            "## PHASE 1: IMMEDIATE FIXES (< 1 hour)\nx\n## PHASE 2: HARDENING (Day 2)\ny\n",
            [(1, "Phase 1", "IMMEDIATE FIXES"), (2, "Phase 2", "HARDENING")],
        ),
        (
            "## 🚨 Phase 1: Stop the bleeding\nx\n## 🔧 Phase 2: Repair\ny\n",
            [(1, "Phase 1", "Stop the bleeding"), (2, "Phase 2", "Repair")],
        ),
        (
            "### **STEP 1: Fix imports (P0 - 30 min)**\nx\n### **STEP 2: Fix mocks (P1 - 2 h)**\n",
            [(1, "Step 1", "Fix imports"), (2, "Step 2", "Fix mocks")],
        ),
        (
            "## Phase 1: Mocks *(Immediate - 30 minutes)*\nx\n## Phase 2: Data ⏱️ 1-2 hours\n",
            [(1, "Phase 1", "Mocks"), (2, "Phase 2", "Data")],
        ),
        (  # the estimate before the title
            "## Phase 1 (Week 1): Quick wins\nx\n## Phase 2 (2-3 days) - Deeper fixes\ny\n",
            [(1, "Phase 1", "Quick wins"), (2, "Phase 2", "Deeper fixes")],
        ),
        (
            "## Plano\n### FASE 1: Corrigir imports\nx\n### FASE 2: Corrigir mocks\ny\n",
            [(1, "Fase 1", "Corrigir imports"), (2, "Fase 2", "Corrigir mocks")],
        ),
        (
            "## Этап 1. Исправить импорты\nx\n## Этап 2. Исправить моки\ny\n",
            [(1, "Этап 1", "Исправить импорты"), (2, "Этап 2", "Исправить моки")],
        ),
        (
            "### 阶段一：修复导入\nx\n### 阶段二：修复模拟\ny\n",
            [(1, "阶段 一", "修复导入"), (2, "阶段 二", "修复模拟")],
        ),
        (
            "## 1단계: 가져오기 수정\nx\n## 2단계: 모의 수정\ny\n",
            [(1, "단계 1", "가져오기 수정"), (2, "단계 2", "모의 수정")],
        ),
        (
            "## Remediation plan\n### 1. Production code audit\nx\n### 2. Test fixes\ny\n",
            [(1, "1.", "Production code audit"), (2, "2.", "Test fixes")],
        ),
    ],
)
def test_phase_headings_in_the_shapes_real_plans_use(
    body: str, expected: list[tuple[int, str, str]]
) -> None:
    assert _phases(body) == expected


def test_headings_inside_a_phase_and_its_criteria_are_not_phases() -> None:
    body = (
        "## Phase 1: Imports\n#### Step 1: find them\n#### Step 2: fix them\n"
        "## Phase 2: Mocks\n### Completion criteria\n- [ ] mocks pass\n"
        "## Success criteria\n### Phase 1 Success Criteria\n- [ ] `test_imports.py` passes\n"
        "### Phase 2 Complete ✅\n- [ ] `test_mocks.py` passes\n## Overall\n- [ ] all tests pass\n"
    )
    parsed = plan.parse(body)
    assert [(p.number, p.title) for p in parsed.phases] == [(1, "Imports"), (2, "Mocks")]
    # Per-phase criteria attach to their phase; the overall ones to none.
    assert [item.phase for item in parsed.items] == [2, 1, 2, None]


def test_criteria_for_a_phase_written_elsewhere_attach_to_it() -> None:
    body = (
        "## Phase 1: Imports\nx\n## Phase 2: Mocks\ny\n## Done\n"
        "### Success criteria for phase 2\n- [ ] `test_mocks.py` passes\n"
    )
    assert [item.phase for item in plan.parse(body).items] == [2]


def test_a_numbered_document_outline_is_not_a_plan() -> None:
    body = (
        "# Test remediation plan\n## 1. Executive Summary\nx\n## 2. Root Cause Analysis\ny\n"
        "## 3. Results\nz\n"
    )
    assert _phases(body) == []


def test_a_numbered_list_in_the_executive_summary_is_not_phases() -> None:
    body = (
        "# Remediation plan\n## Executive summary\n1. Imports are broken\n2. Mocks leak\n"
        "## Fix plan\n1. Repair the imports\n2. Reset the mocks\n3. Rerun\n"
    )
    assert [p.title for p in plan.parse(body).phases] == [
        "Repair the imports",
        "Reset the mocks",
        "Rerun",
    ]


def test_sprint_timeline_beside_phases_is_not_a_second_plan() -> None:
    body = (
        "## Phase 1: Imports\nx\n## Phase 2: Mocks\ny\n## Timeline\n"
        "### Sprint 1 (Week 1): Phase 1\n### Sprint 2: Phase 2\n"
    )
    assert [p.label for p in plan.parse(body).phases] == ["Phase 1", "Phase 2"]


def test_steps_inside_phases_stay_steps() -> None:
    body = "## Phase 1: A\n### Step 1: a\n### Step 2: b\n## Phase 2: B\n### Task 1: c\n"
    assert [p.label for p in plan.parse(body).phases] == ["Phase 1", "Phase 2"]


def test_phase_words_in_prose_headings_are_not_phases() -> None:
    assert _phases("## Part of the fix\nx\n## Step a little back\ny\n") == []


def test_priority_tiers_carry_their_priority() -> None:
    parsed = plan.parse("## P0 Critical\nx\n## P1 Important\ny\n")
    assert [p.priority for p in parsed.phases] == ["P0", "P1"]


def test_time_horizons_are_phases() -> None:
    body = (
        "### Immediate (Next 30-60 Minutes)\nx\n### Short-Term (Next 1-2 Hours)\ny\n"
        "### This Session\nz\n"
    )
    assert [p.label for p in plan.parse(body).phases] == ["Immediate", "Short-Term", "This Session"]


def test_a_plan_told_a_second_time_is_sections_of_the_first() -> None:
    body = (
        "## Phase 1: Fixtures\nx\n## Phase 2: Mocks\ny\n## Phase 3: Cleanup\nz\n"
        "## Phase 1: Fixtures again (Days 1-3)\n- [ ] a\n## Phase 2: Mocks (Day 4)\n- [ ] b\n"
    )
    parsed = plan.parse(body)
    assert [p.number for p in parsed.phases] == [1, 2, 3]
    assert [item.phase for item in parsed.items] == [1, 2]


def test_two_phases_of_one_number_with_other_titles_are_both_phases() -> None:
    body = "## Phase 1: A\nx\n## Phase 2: Portability\ny\n## Phase 2: Reliability\nz\n"
    assert [(p.number, p.label, p.title) for p in plan.parse(body).phases] == [
        (1, "Phase 1", "A"),
        (2, "Phase 2", "Portability"),
        (3, "Phase 2", "Reliability"),
    ]


def test_numbered_headings_naming_test_files_are_no_plan() -> None:
    body = (
        "# Fixes\n## Files\n### 1. tests/a.spec.ts\nx\n### 2. tests/b.spec.ts\ny\n"
        "### 3. tests/c.spec.ts\nz\n"
    )
    assert _phases(body) == []


def test_the_document_title_is_no_lone_phase() -> None:
    body = "# Phase 9: Migration\n## Overview\n### Step 1: a\n### Step 2: b\n"
    assert [p.label for p in plan.parse(body).phases] == ["Step 1", "Step 2"]


def test_bold_labels_are_the_phases_of_a_plan_without_phase_headings() -> None:
    body = (
        "# Stabilisation\n## Tasks\n"
        "**TASK-001** 🤖 **Audit the suite** ⏳\n\n- [ ] audit done\n\n"
        "**TASK-002** 🤖 **Fix critical failures**\n\n- [ ] `tests/test_api.py` passes\n"
    )
    parsed = plan.parse(body)
    assert [p.label for p in parsed.phases] == ["Task 001", "Task 002"]
    assert [item.phase for item in parsed.items] == [1, 2]


def test_checklist_items_written_as_headings_are_phases() -> None:
    body = (
        "## Tasks\n- [x] ### Phase 1 — Fix `test_zip`\n\nnotes\n\n"
        "- [ ] ### Phase 2 — Fix the race\n\nmore\n"
    )
    assert [p.label for p in plan.parse(body).phases] == ["Phase 1", "Phase 2"]


def test_bold_list_items_are_not_phases() -> None:
    body = "## Criteria\n- [ ] **Phase 1**: all 6 tests pass\n- [ ] **Phase 2**: lint clean\n"
    assert _phases(body) == []


def test_phases_a_completed_work_section_retells_are_not_the_plan() -> None:
    body = (
        "# Current status and next steps\n"
        "## Status summary\n### Completed work\n#### Phase 1: Unit tests\nx\n"
        "#### Phase 2: Refactoring\ny\n#### Phase R2: Split files\nz\n"
        "## Next steps\n### Priority 1: Fix failing tests\n- [ ] a\n"
        "### Priority 2: Tidy integration tests\n#### Phase 1: Fixtures\n#### Phase 2: Docs\n"
        "### Priority 3: Ship\n- [ ] b\n"
    )
    assert [label for _, label, _ in _phases(body)] == ["Priority 1", "Priority 2", "Priority 3"]


def test_phase_headings_inside_one_issue_are_its_steps_when_days_lay_out_the_plan() -> None:
    body = (
        "## High priority issues\n### Issue #4: 70 lint errors\n"
        "#### Phase 1: Private interfaces\nx\n#### Phase 2: Dead code\ny\n"
        "## Day-by-day plan\n### Day 1 (Monday): Build\n- [ ] a\n### Day 2 (Tuesday): Lint\n"
        "- [ ] b\n### Day 3 (Wednesday): Docs\n"
    )
    assert [label for _, label, _ in _phases(body)] == ["Day 1", "Day 2", "Day 3"]


def test_phase_headings_under_an_implementation_heading_stay_the_plan() -> None:
    body = (
        "## Group 1: Modal mocks\nx\n## Group 2: Init tests\ny\n## Group 3: Timing\nz\n"
        "## Implementation Order\n### Phase 1: Infrastructure (Groups 1 & 2)\n- [ ] a\n"
        "### Phase 2: Cleanup (Group 3)\n- [ ] b\n"
    )
    assert [label for _, label, _ in _phases(body)] == ["Phase 1", "Phase 2"]


def test_a_phase_only_the_success_criteria_name_is_a_level_of_ambition() -> None:
    body = (
        "### Phase 1 - Terminer (1-2h)\n- [ ] a\n### Phase 2 - Corrections (3-4h)\n- [ ] b\n"
        "## Critères de Succès Session\n### Phase 1 (Minimum Requis)\n- [ ] c\n"
        "### Phase 2 (Optimal)\n- [ ] d\n### Phase 3 (Stretch)\n- [ ] e\n"
    )
    parsed = plan.parse(body)
    assert [p.title for p in parsed.phases] == ["Terminer", "Corrections"]
    assert [item.phase for item in parsed.items][:4] == [1, 2, 1, 2]


def test_a_lone_level_one_stage_heading_titles_the_document() -> None:
    body = (
        "# STAGE 1: IMMEDIATE STABILIZATION\n## Tasks\n### Task 1.1: Unicode error\n- [ ] a\n"
        "### Task 1.2: Deprecated code\n- [ ] b\n"
    )
    assert [label for _, label, _ in _phases(body)] == ["Task 1.1", "Task 1.2"]


def test_a_section_number_before_a_phase_word_is_no_part_of_it() -> None:
    body = (
        "## Part 1: Validation of Audit Findings\nx\n## Part 2: Issue Inventory\ny\n"
        "## Part 3: Prioritized Development Plan\n### 3.1 Phase 1: Critical Issues (Sprint 1)\n"
        "- [ ] a\n### 3.2 Phase 2: High Priority Issues\n- [ ] b\n## Part 4: Risk Assessment\n"
    )
    assert [(label, title) for _, label, title in _phases(body)] == [
        ("Phase 1", "Critical Issues"),  # the sprint is its estimate
        ("Phase 2", "High Priority Issues"),
    ]


def test_a_level_one_title_over_the_tasks_is_no_phase_even_beside_a_preview() -> None:
    body = (
        "# Phase 22.2 - Timing Fixes\n## Task Breakdown\n### Task 1: Timing tests\n- [ ] a\n"
        "### Task 2: Coverage\n- [ ] b\n## Phase 22.3 Preview\nlater\n"
    )
    assert [label for _, label, _ in _phases(body)] == ["Task 1", "Task 2"]


def test_an_open_ended_phase_keeps_its_number() -> None:
    body = "## Phase 0: Research\nx\n## Phase 1: Design\ny\n## Phase 3+: Future Implementation\nz\n"
    assert [title for _, _, title in _phases(body)] == [
        "Research",
        "Design",
        "Future Implementation",
    ]


def test_tracking_issues_laid_out_as_steps_are_the_phases() -> None:
    body = (
        "## Next Steps: 3 Tracking Issues\n### Issue #7: Restore coverage gate\n"
        "#### Phase 1: 40% → 60%\n- [ ] a\n#### Phase 2: 60% → 80%\n- [ ] b\n"
        "### Issue #8: Refactor API tests\n- [ ] c\n### Issue #9: Stabilize contract tests\n"
    )
    assert [label for _, label, _ in _phases(body)] == ["Issue 7", "Issue 8", "Issue 9"]


def test_a_word_between_the_phase_word_and_its_number() -> None:
    body = "### Task Assignment #1: Edge Case Hunter\nx\n### Task Assignment #2: Optimizer\ny\n"
    assert [title for _, _, title in _phases(body)] == ["Edge Case Hunter", "Optimizer"]


def test_a_phase_written_one_level_deeper_outside_the_others_is_one_of_them() -> None:
    body = (
        "# Phase 9: Test Migration Roadmap\n## PHASE 9 TIER BREAKDOWN\n"
        "### TIER 9.1: Fix Build Errors ✅ COMPLETED\n- [x] a\n"
        "## TIER 9.2: Analysis ✅ COMPLETED\n### TIER 9.2.1: Models\n- [x] b\n"
        "## TIER 9.3: Final Validation\n- [ ] c\n"
    )
    assert [label for _, label, _ in _phases(body)] == ["Tier 9.1", "Tier 9.2", "Tier 9.3"]
