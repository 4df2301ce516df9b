"""Running the pipeline unattended: jobs, the new-file sensor, the quarter-closing schedule, alerts."""
