/**
 * Integration tests of threshold custody of the recovery keys (docs/custody.md): the archive
 * operations under custody, with recovery agents approving custody sessions through the command
 * line, against the real embedded directory. May depend on everything the it module does.
 */
package org.dirkms.it.custody;
