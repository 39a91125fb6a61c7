"""tf_mirrored: tf_function's update, data-parallel over N devices with tf.distribute.MirroredStrategy.

Each of the N replicas holds its own copy of W and b and takes 1/N of every batch. A replica's loss is
its samples' sum of losses divided by the GLOBAL batch size B, so the N losses and gradients add up to
the mean over the whole batch; one all-reduce (SUM) hands every replica that total, and every replica
applies the same SGD update to its copy, which keeps the copies equal — the single-device trajectory.
B must be a multiple of N.
"""

import numpy as np
import tensorflow as tf

from impls.losses import tensorflow_loss
from impls.problem import Config, make_data, textbook_log


class Trainer:
    def __init__(self, config, data, devices=None):
        self.config = config
        self.lr = config.lr
        # devices: one replica on each (None: every GPU, or the CPU alone). ReductionToOneDevice sums on
        # the first device and sends the sum back (TF's default breaks a second strategy in one
        # process: tensorflow#61314).
        self.strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
        self.replicas = self.strategy.num_replicas_in_sync
        with self.strategy.scope():  # variables made here are mirrored: one copy on each replica's device
            self.W, self.b = tf.Variable(config.W0), tf.Variable(config.b0)  # the model: ŷ = W·x + b
        self.loss_fn = tensorflow_loss(config)
        whole_batches = (-1, config.batch_size)  # (batches, B): each replica keeps its (batches, B/N) share
        self.x = self.shard(data.x[: config.used_samples].reshape(whole_batches))
        self.y = self.shard(data.y[: config.used_samples].reshape(whole_batches))

    def shard(self, x):
        """x's last axis (a global batch) cut into N equal shares, share i placed on replica i's device."""
        shares, devices = np.split(np.asarray(x), self.replicas, axis=-1), self.strategy.extended.worker_devices

        def share(context):
            with tf.device(devices[context.replica_id_in_sync_group]):
                return tf.constant(shares[context.replica_id_in_sync_group])

        return self.strategy.experimental_distribute_values_from_function(share)

    def reset(self, W, b):
        self.W.assign(W)  # outside strategy.run: sets every replica's copy
        self.b.assign(b)

    def replica_loss_and_gradient(self, x, y):
        with tf.GradientTape() as tape:  # mean over the replica's B/N samples ÷ N = its samples' summed loss / B
            loss = self.loss_fn(self.W * x + self.b - y) / self.replicas  # r = ŷ − y
        dW, db = tape.gradient(loss, [self.W, self.b])
        # Σ over replicas, received by every replica: the global batch's loss, dL/dW and dL/db
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, [loss, dW, db])

    def replica_update(self, x, y, batch_index):
        loss, dW, db = self.replica_loss_and_gradient(x[batch_index], y[batch_index])
        self.W.assign_sub(self.lr * dW)  # each replica its own copy, by the same all-reduced gradient
        self.b.assign_sub(self.lr * db)
        return loss

    @tf.function
    def loss_and_gradient_of_shares(self, x, y):
        results = self.strategy.run(self.replica_loss_and_gradient, args=(x, y))
        return self.strategy.experimental_local_results(results)[0]  # all-reduced: any replica's will do

    def loss_and_gradient(self, x, y):
        return self.loss_and_gradient_of_shares(self.shard(x), self.shard(y))

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def update(self, batch_index):
        loss = self.strategy.run(self.replica_update, args=(self.x, self.y, batch_index))
        return self.strategy.experimental_local_results(loss)[0]

    def train(self, log=None):
        for update in range(self.config.updates):
            loss = self.update(update % self.config.batches_per_epoch)  # epoch after epoch, in order
            if log:
                log(update, loss, self.W.value(), self.b.value())  # float() refuses a MirroredVariable
        return float(self.W.value()), float(self.b.value())


if __name__ == "__main__":  # python -m impls.tf_mirrored: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
