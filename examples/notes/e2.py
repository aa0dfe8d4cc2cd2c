# E2: retain_graph and gradient accumulation on y = (x + w)(w + 1) (notes: autograd lesson)
import torch

# ====================================== retain_graph ======================================
w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
a = torch.add(w, x)
b = torch.add(w, 1)
y = torch.mul(a, b)

y.backward(retain_graph=True)
print(w.grad)
y.backward(retain_graph=True)
print(w.grad)
y.backward()
print(w.grad)
try:
    y.backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])

# ================================ gradients accumulate ====================================
w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)

for i in range(4):  # noqa: B007
    a = torch.add(w, x)
    b = torch.add(w, 1)
    y = torch.mul(a, b)

    y.backward()
    print(w.grad)

    # w.grad.zero_()

for i in range(4):  # noqa: B007
    a = torch.add(w, x)
    b = torch.add(w, 1)
    y = torch.mul(a, b)

    w.grad.zero_()
    y.backward()
    print(w.grad)
