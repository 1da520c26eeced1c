"""The kernel every app builds on: domain errors and the one upload policy. No models, no Django app."""
