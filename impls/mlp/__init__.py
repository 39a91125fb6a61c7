"""The grown problem's lessons: ŷ = w2·tanh(W1·x + b1) + b2, one file per way to train, each named
after the line's lesson it grows from, so that `diff impls/NAME.py impls/mlp/NAME.py` shows only what
the model changes. problem.py is the problem (setup, data, initial parameters, log line).

    python -m impls.mlp.numpy_manual      # backpropagation by hand, and its log

Same Trainer as the line's, with the parameters (W1, b1, w2, b2) where the line has (W, b).
"""
