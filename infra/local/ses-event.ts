import type { SESEvent } from "aws-lambda";

/** The receipt event SES sends to the email Lambda (after the S3 action), verdicts PASS unless given. */
export function sesReceiptEvent(o: {
  messageId: string;
  recipients: string[];
  from: string;
  subject: string;
  spam?: boolean;
  virus?: boolean;
}): SESEvent {
  const now = new Date().toISOString();
  const verdict = (fail?: boolean) => ({ status: fail ? "FAIL" : "PASS" });
  return {
    Records: [
      {
        eventSource: "aws:ses",
        eventVersion: "1.0",
        ses: {
          mail: {
            timestamp: now,
            source: o.from,
            messageId: o.messageId,
            destination: o.recipients,
            headersTruncated: false,
            headers: [],
            commonHeaders: {
              returnPath: o.from,
              from: [o.from],
              date: now,
              to: o.recipients,
              messageId: o.messageId,
              subject: o.subject,
            },
          },
          receipt: {
            timestamp: now,
            processingTimeMillis: 0,
            recipients: o.recipients,
            spamVerdict: verdict(o.spam),
            virusVerdict: verdict(o.virus),
            spfVerdict: verdict(),
            dkimVerdict: verdict(),
            dmarcVerdict: { status: "PASS" },
            action: {
              type: "Lambda",
              functionArn: "arn:aws:lambda:local:000000000000:function:routing-email",
              invocationType: "Event",
            },
          },
        },
      },
    ],
  } as SESEvent;
}
