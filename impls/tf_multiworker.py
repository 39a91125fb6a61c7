"""tf_multiworker: tf_mirrored's loop across worker processes with MultiWorkerMirroredStrategy.

Each worker is its own Python process (on this machine or another) running this same file; TF_CONFIG
names every worker's address and this one's index. The strategy starts a gRPC server, meets the other
workers, and the all-reduce becomes a collective across processes. It must be made before any other
TensorFlow op in the process. Two workers by hand, in two shells (then both print the ten lines):

    TF_CONFIG='{"cluster": {"worker": ["localhost:12345", "localhost:12346"]},
                "task": {"type": "worker", "index": 0}}' python -m impls.tf_multiworker
    TF_CONFIG='{"cluster": {"worker": ["localhost:12345", "localhost:12346"]},
                "task": {"type": "worker", "index": 1}}' python -m impls.tf_multiworker

fitways/remote.py does this for the suite: free ports, one TF_CONFIG per worker, clean-up.
"""

import numpy as np
import tensorflow as tf

from impls.losses import tensorflow_loss
from impls.problem import Config, make_data, textbook_log


class Trainer:
    def __init__(self, config, data):
        self.config = config
        self.lr = config.lr
        # every worker's devices take part (the cluster is in TF_CONFIG; without one, this process alone)
        self.strategy = tf.distribute.MultiWorkerMirroredStrategy()
        self.replicas = self.strategy.num_replicas_in_sync
        with self.strategy.scope():  # variables made here are mirrored: one copy on each replica's device
            self.W, self.b = tf.Variable(config.W0), tf.Variable(config.b0)  # the model: ŷ = W·x + b
        self.loss_fn = tensorflow_loss(config)
        whole_batches = (-1, config.batch_size)  # (batches, B): each replica keeps its (batches, B/N) share
        self.x = self.shard(data.x[: config.used_samples].reshape(whole_batches))
        self.y = self.shard(data.y[: config.used_samples].reshape(whole_batches))

    def shard(self, x):
        """x's last axis (a global batch) cut into N equal shares; this worker keeps its replicas' shares,
        each on its device (replica ids count across workers, each worker has len(devices) of them)."""
        shares, devices = np.split(np.asarray(x), self.replicas, axis=-1), self.strategy.extended.worker_devices

        def share(context):
            with tf.device(devices[context.replica_id_in_sync_group % len(devices)]):
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


if __name__ == "__main__":  # python -m impls.tf_multiworker: the textbook's run and its ten log lines
    config = Config()
    Trainer(config, make_data(config)).train(log=textbook_log(config))
