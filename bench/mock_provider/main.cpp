// mock provider
int main() { return 0; }
