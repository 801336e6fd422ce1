/**
 * Threshold custody of the recovery keys (docs/custody.md) as the people involved drive it: the
 * real {@code dirkms serve} process, {@code dirkms archive custody}, {@code dirkms recovery
 * approve}, the archive operations under custody with recovery agents approving custody sessions
 * through the command line, and the OpenLDAP and OpenSSL command-line tools.
 */
package org.dirkms.it.custody;
