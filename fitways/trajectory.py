"""A run's trajectory: the parameters after each logged update and the batch loss before it, cut
where the run diverged."""

import dataclasses

import numpy as np

from fitways.checks import diverging


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """updates holds 1-based update numbers; parameters maps each name to its values stacked over the
    rows of the log, shape (rows, *the parameter's shape). Most trainers log every update; one that runs
    many updates per call (Keras with steps_per_execution) only where Python gets control back, and
    without a batch loss (loss is None then). A run that diverged stops there: diverged_at is that
    update, and only the rows before it stay."""

    updates: np.ndarray
    parameters: dict
    loss: np.ndarray | None
    diverged_at: int | None = None
    every_update: bool = True  # False when the log is sparse: divergence is then known to the row

    @classmethod
    def from_rows(cls, problem, config, rows):
        """rows: (update, loss or None, the parameters in the problem's order) as logged, updates 1-based."""
        good = next((i for i, (_, loss, params) in enumerate(rows) if diverging(problem, config, loss, params)), len(rows))
        updates = np.array([row[0] for row in rows], np.int64)
        kept = rows[:good]
        has_loss = bool(rows) and rows[0][1] is not None
        shapes = problem.shapes(config)
        parameters = {
            name: np.array([row[2][index] for row in kept], np.float64).reshape(len(kept), *shapes[name])
            for index, name in enumerate(problem.parameters)
        }
        return cls(
            updates=updates[:good],
            parameters=parameters,
            loss=np.array([row[1] for row in kept], np.float64) if has_loss else None,
            diverged_at=int(updates[good]) if good < len(rows) else None,
            every_update=np.array_equal(updates, np.arange(1, len(updates) + 1)),
        )

    def __getitem__(self, name):
        """trajectory[name]: that parameter after every logged update."""
        return self.parameters[name]

    @property
    def divergence(self):
        """ "diverged at update 16", or "diverged by update 64" when updates between rows went unseen."""
        if self.diverged_at is None:
            return None
        return f"diverged {'at' if self.every_update else 'by'} update {self.diverged_at}"

    @property
    def final(self):
        """The parameters after the last kept update, by name."""
        return {name: values[-1] for name, values in self.parameters.items()}

    @property
    def updates_run(self):
        return self.diverged_at or int(self.updates[-1])
