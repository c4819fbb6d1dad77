"""Deep-learning tip deconvolution (torch is imported lazily, only by this package)."""
