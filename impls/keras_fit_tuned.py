"""keras_fit_tuned: model.fit set up for speed — many steps per call, XLA, a tf.data pipeline.

Same model, same optimiser, same batches as keras_fit. steps_per_execution runs that many updates
inside one compiled call, so Keras's per-batch Python bookkeeping (callbacks, progress, logs) runs
once per call instead of once per update; jit_compile hands the step to XLA. The price: Python —
and so our parameter log — sees the model only every steps_per_execution updates.
"""

from impls.keras_fit import KerasFitTrainer
from impls.tf_setup import tf

STEPS_PER_EXECUTION = 64


class KerasFitTunedTrainer(KerasFitTrainer):
    name = "keras_fit_tuned"
    compile_options = {"steps_per_execution": STEPS_PER_EXECUTION, "jit_compile": True}

    def feed(self):
        """Batches cut up front, so tf.data hands over whole batches rather than one sample at a time;
        epoch after epoch in order, batch k starting at batch_starts(config)[k]. take() ends it after
        exactly config.steps batches (an endless one would run up to a whole steps_per_execution more)."""
        config = self.config
        shape = (config.batches_per_epoch, config.batch_size, 1)
        used = config.used_samples
        batches = (self.data.x[:used].reshape(shape), self.data.y[:used].reshape(shape))
        dataset = tf.data.Dataset.from_tensor_slices(batches).repeat().take(config.steps)
        return {"x": dataset.prefetch(tf.data.AUTOTUNE), "epochs": 1}
