/** Placeholder. */
package org.dirkms.ds;
