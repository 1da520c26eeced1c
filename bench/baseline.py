"""A one-step viewflow.workflow process, used only as the benchmark's "bare viewflow task
completion": the engine's own cost of completing a task (process lock, task status, next node),
with none of the product's guards, audit or notifications. See tasks.benchmarks."""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import flow, lock


class BareTaskFlow(flow.Flow):
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.work)
    work = flow.Handle(this.do_work).Next(this.end)
    end = flow.End()

    def start_process(self, activation):
        return activation.process

    def do_work(self, activation):
        return None
