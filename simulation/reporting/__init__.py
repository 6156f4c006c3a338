"""What users read about runs: explanations, figures, run output, manifests, exports."""
