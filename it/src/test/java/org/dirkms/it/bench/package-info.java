/**
 * Benchmarks over the whole stack. They print measured figures and ratios against a ceiling
 * measured in the same run; they assert correctness of every operation, never a speed.
 */
package org.dirkms.it.bench;
