"""A run's trajectory: W and b after each recorded update and the batch loss before it, cut where
the run diverged."""

import dataclasses

import numpy as np

from fitways.checks import diverging


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """updates holds 1-based update numbers. Most trainers record every update; one that runs many
    updates per call (Keras with steps_per_execution) only where Python gets control back, and without
    a batch loss (loss is None then). A run that diverged stops there: diverged_at is that update, and
    only the records before it stay."""

    updates: np.ndarray
    W: np.ndarray
    b: np.ndarray
    loss: np.ndarray | None
    diverged_at: int | None = None
    every_update: bool = True  # False when records are sparse: divergence is then known to the record

    @classmethod
    def from_rows(cls, config, rows):
        """rows: (update, loss or None, W, b) as recorded, updates 1-based."""
        good = next((i for i, (_, loss, W, b) in enumerate(rows) if diverging(config, loss, W, b)), len(rows))
        updates = np.array([row[0] for row in rows], np.int64)
        kept = rows[:good]
        has_loss = bool(rows) and rows[0][1] is not None
        column = lambda k: np.array([row[k] for row in kept], np.float64)  # noqa: E731
        return cls(
            updates=updates[:good],
            W=column(2),
            b=column(3),
            loss=column(1) if has_loss else None,
            diverged_at=int(updates[good]) if good < len(rows) else None,
            every_update=np.array_equal(updates, np.arange(1, len(updates) + 1)),
        )

    @property
    def divergence(self):
        """ "diverged at update 16", or "diverged by update 64" when updates between records went unseen."""
        if self.diverged_at is None:
            return None
        return f"diverged {'at' if self.every_update else 'by'} update {self.diverged_at}"

    @property
    def final(self):
        """(W, b) after the last kept update."""
        return float(self.W[-1]), float(self.b[-1])

    @property
    def updates_run(self):
        return self.diverged_at or int(self.updates[-1])
