"""tf_function: the same training step, compiled into a graph with tf.function.

The only change from gradient_tape: train_step is traced once into a graph, so each update is one
call into TensorFlow's runtime instead of a Python round trip per op. The input_signature pins the
batch to a float32 vector of any length, so it is traced once per run and never again.
"""

from impls.gradient_tape import GradientTapeTrainer
from impls.tf_setup import tf


class TFFunctionTrainer(GradientTapeTrainer):
    name = "tf_function"

    def __init__(self, config, data, device="cpu"):
        super().__init__(config, data, device)
        batch = tf.TensorSpec([None], tf.float32)
        self.train_step = tf.function(super().train_step, input_signature=[batch, batch])
        self.gradient_fn = tf.function(self.loss_and_gradients)  # so --check-gradients checks the graph

    def tracing_count(self):
        return self.train_step.experimental_get_tracing_count()
