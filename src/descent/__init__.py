"""descent: the reference code of the book 优化器.

Every formula of the book lives here once; the chapters import it.

Layers, imported bottom to top only::

    optim       optimizers as pure (init, step) pairs, numpy only
    schedules   learning-rate schedules: functions of the step count (torch's names)
    amp         float16/bfloat16 helpers and dynamic loss scaling (GradScaler's rule)
    landscapes  2-D objectives with analytic gradients and known minima
    regression  least-squares line fit: an objective that averages over samples
    nets        tiny numpy networks with hand-written backprop
    run         drive an optimizer and record what happened
    plots       matplotlib figure builders
    explore     explorers (precomputed frames, kernel mode); the only package that
                imports ipywidgets
    show        display helpers for the chapters
"""

__version__ = "0.1.0"
