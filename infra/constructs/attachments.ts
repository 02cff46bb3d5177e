import { Aws, Duration, RemovalPolicy } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

export interface AttachmentFilesProps {
  /** Serves links and uploads (docs/api.md, Attachments) and sends files with replies. */
  readonly api: IFunction;
  /** Stores the files of inbound email. */
  readonly email: IFunction;
  /** Origins of the web inbox: the only pages that may fetch or upload files in the browser (CORS). */
  readonly allowedOrigins: string[];
  /** How long uploads no reply took are kept. @default 1 day */
  readonly uploadRetention?: Duration;
}

/**
 * Conversations' files (docs/routing.md §6.3): one private, encrypted bucket, HTTPS only, reached by
 * browsers through presigned links alone. `files/<conversation>/<id>` are kept like the conversations
 * (retained with the stack); `uploads/` holds files sent for a reply until the reply takes them, and a
 * lifecycle rule deletes what no reply took.
 */
export class AttachmentFiles extends Construct {
  readonly bucket: Bucket;
  /**
   * Origins presigned links point at (virtual-hosted style, in the stack's region): for the inbox's
   * Content-Security-Policy, which cannot name the bucket itself (the bucket's CORS names the inbox).
   */
  static readonly linkOrigins = [`https://*.s3.${Aws.REGION}.amazonaws.com`, "https://*.s3.amazonaws.com"];

  constructor(scope: Construct, id: string, props: AttachmentFilesProps) {
    super(scope, id);
    this.bucket = new Bucket(this, "Files", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      cors: [
        {
          allowedMethods: [HttpMethods.GET, HttpMethods.PUT],
          allowedOrigins: props.allowedOrigins,
          allowedHeaders: ["content-type", "x-amz-meta-filename"],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        { id: "uploads-no-reply-took", prefix: "uploads/", expiration: props.uploadRetention ?? Duration.days(1) },
        { id: "incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    const files = this.bucket.arnForObjects("files/*");
    const uploads = this.bucket.arnForObjects("uploads/*");
    // The API presigns downloads of files and uploads for replies, finds an upload (list + HEAD), copies
    // it into files and deletes it, and reads files to send them. ListBucket also makes a HEAD of a
    // missing key answer 404 (a 403 otherwise), which is how a link to a file that does not exist is told.
    props.api.addToRolePolicy(new PolicyStatement({ actions: ["s3:GetObject"], resources: [files, uploads] }));
    props.api.addToRolePolicy(new PolicyStatement({ actions: ["s3:PutObject"], resources: [files, uploads] }));
    props.api.addToRolePolicy(new PolicyStatement({ actions: ["s3:DeleteObject"], resources: [uploads] }));
    props.api.addToRolePolicy(new PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn] }));
    // Inbound email only writes the files of the messages it stores.
    props.email.addToRolePolicy(new PolicyStatement({ actions: ["s3:PutObject"], resources: [files] }));
  }
}
