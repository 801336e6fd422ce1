/**
 * Integration tests of the key building blocks (recovery key store, key archive, key package,
 * S/MIME bundle) over the real embedded directory: what the agent stores comes back through
 * ldapsearch and still opens with openssl.
 */
package org.dirkms.it.keys;
