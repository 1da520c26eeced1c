"""Stage gates as a viewflow.fsm state machine: 未开始 → 进行中 → 已完成.

A stage completes only through workflows.services.stage_complete, which checks the signer,
locks the stage and its tasks, and opens the next stage in the same transaction.
"""

from __future__ import annotations

from viewflow import fsm

from plans.models import Stage

S = Stage.Status


class StageFlow:
    status = fsm.State(S, default=S.PENDING)

    def __init__(self, stage: Stage):
        self.stage = stage

    @status.getter()
    def _get_status(self) -> str:
        return self.stage.status

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.stage.status = value

    @status.transition(source=S.PENDING, target=S.OPEN, label="开启阶段")
    def open(self) -> None:
        """The previous gate was signed; this stage's tasks become actionable."""

    @status.transition(source=S.OPEN, target=S.COMPLETED, label="签署关口")
    def complete(self) -> None:
        """The leader signs the gate."""
