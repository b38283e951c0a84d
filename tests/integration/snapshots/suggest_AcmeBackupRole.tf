resource "aws_iam_policy" "AcmeBackupRole-least-privilege" {
  name        = "AcmeBackupRole-least-privilege"
  description = "Least privilege for arn:aws:iam::111111111111:role/AcmeBackupRole from CloudTrail usage (vendortrail)"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Kms"
        Effect = "Allow"
        Action = [
          "kms:Decrypt",
          "kms:GenerateDataKey",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
        ]
        Resource = [
          "arn:aws:kms:eu-west-1:111111111111:key/0b8f2c4d-6e1a-4f3b-8c9d-2e7f1a5b3c6d",
          "arn:aws:kms:us-east-1:111111111111:key/5c3b8e9a-1f2d-4e7b-9a6c-0d1e2f3a4b5c",
        ]
      },
      {
        Sid    = "S3"
        Effect = "Allow"
        Action = "s3:ListBucket"
        Resource = [
          "arn:aws:s3:::prod-app-data-111111111111",
          "arn:aws:s3:::prod-eu-archive-111111111111",
        ]
      },
      {
        Sid    = "S32"
        Effect = "Allow"
        Action = [
          "s3:GetObject",
          "s3:PutObject",
        ]
        Resource = [
          "arn:aws:s3:::prod-app-data-111111111111/*",
          "arn:aws:s3:::prod-eu-archive-111111111111/*",
        ]
      },
    ]
  })
}
