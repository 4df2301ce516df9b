"""ntm_pipeline: a reporting warehouse for Vietnam's NTM programme and OCOP."""
