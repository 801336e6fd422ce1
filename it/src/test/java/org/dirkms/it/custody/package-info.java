/**
 * Threshold custody of the recovery keys (docs/custody.md) as the people involved drive it: the
 * real {@code dirkms serve} process, {@code dirkms archive custody}, {@code dirkms recovery
 * approve} and the OpenLDAP and OpenSSL command-line tools.
 */
package org.dirkms.it.custody;
