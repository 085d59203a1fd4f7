/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Runs the fuzz target over files, once each, without libFuzzer: the corpus
 * as a regression test in `make fuzz-replay` (gcc with ASan and UBSan, so
 * clang is not needed for it).  Exit 0 when every input passed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *data;
		long size;

		if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			perror(argv[i]);
			return 2;
		}
		data = malloc((size_t)size + 1);
		if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
			perror(argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(data, (size_t)size);
		free(data);
	}
	printf("fuzz-replay: %d inputs passed\n", argc - 1);
	return 0;
}
