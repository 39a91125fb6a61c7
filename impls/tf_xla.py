"""tf_xla: tf_graph_loop compiled by XLA (jit_compile=True).

One flag more. XLA compiles the whole loop into fused machine code for its exact shapes, so an update
costs a few arithmetic instructions instead of a walk over TensorFlow's graph of ops and kernels.
"""

from impls.tf_graph_loop import GraphLoopTrainer


class XLATrainer(GraphLoopTrainer):
    name = "tf_xla"
    jit_compile = True
