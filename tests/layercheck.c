/* Linked with one layer's whole library and only the layers below it: if the
 * layer calls into a layer above, this program fails to link. */
int main(void)
{
        return 0;
}
