"""tf_graph_loop: the whole training loop — batch slicing, updates and the record — in one tf.function.

tf_function still returns to Python after every update. Here AutoGraph turns the `for k in tf.range`
loop into a tf.while_loop, so one call runs every update inside TensorFlow's runtime: the data is
placed on the device once and Python is out of the loop entirely. The step itself is gradient_tape's.
"""

from impls.gradient_tape import GradientTapeTrainer
from impls.tf_setup import sync, tf
from impls.trainer import History


class GraphLoopTrainer(GradientTapeTrainer):
    name = "tf_graph_loop"
    jit_compile = False

    def __init__(self, config, data, device="cpu"):
        super().__init__(config, data, device)
        with tf.device(self.device_name):
            self.starts_tensor = tf.constant(self.starts, tf.int32)
        vector = tf.TensorSpec([None], tf.float32)
        self.loop = tf.function(
            self.train_loop,
            input_signature=[vector, vector, tf.TensorSpec([None], tf.int32)],
            jit_compile=self.jit_compile,
        )
        self.gradient_fn = tf.function(self.loss_and_gradients, jit_compile=self.jit_compile)

    def train_loop(self, x, y, starts):
        """Every update in one graph. Returns (records, n): rows [loss, W, b], of which the first n ran."""
        steps = tf.shape(starts)[0]
        records = tf.TensorArray(tf.float32, size=steps, element_shape=[3])
        done = steps
        size = [self.config.batch_size]  # a static slice size: XLA needs to know every shape
        for k in tf.range(steps):  # AutoGraph: a tf.while_loop, not a Python loop
            row = self.train_step(tf.slice(x, [starts[k]], size), tf.slice(y, [starts[k]], size))
            records = records.write(k, row)
            if not tf.reduce_all(tf.math.is_finite(row)):  # diverged: stop here, keep this row
                done = k + 1
                break
        return records.stack(), done

    def train(self):
        with tf.device(self.device_name):
            records, done = self.loop(self.x, self.y, self.starts_tensor)
            rows = sync(records)[: sync(done)]
        loss, W, b = rows.T
        return History.build(range(1, len(rows) + 1), W, b, loss)

    def tracing_count(self):
        return self.loop.experimental_get_tracing_count()
