"""The names of the sweep figures, in a module of their own: the command line lists them in its help without
loading matplotlib."""

SWEEP_FIGURES = ("probability", "main_effects", "heatmap", "time", "final", "fan")
