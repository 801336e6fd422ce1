/**
 * Moving users between two separately started KMS servers (docs/transfer.md): export, import,
 * the refusals, recovery on the destination, and the auditor's openssl commands.
 */
package org.dirkms.it.transfer;
