"""The deep problem's lessons: L tanh layers of width H, one file per way to train, each named after the
network's lesson it grows from, so that `diff impls/mlp/NAME.py impls/deep/NAME.py` shows only what
depth changes. problem.py is the problem (setup, data, initial parameters, log line, reference).

    python -m impls.deep.numpy_manual      # backpropagation by hand, as a loop over layers, and its log

Same Trainer as the network's, with the parameters (W1, b1, Wh, bh, w2, b2): the network's four, and
the stacked weights and biases of the L − 1 layers between its first layer and its output.
"""
