"""Amazon S3 control plane (bucket registry); object data lives in the native objstore."""
